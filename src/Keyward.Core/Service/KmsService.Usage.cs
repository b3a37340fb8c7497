using Keyward.Core.Identity;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    /// <summary>The setting that records when the audit log began (GetKeyLastUsage's TrackingStartDate).</summary>
    public const string TrackingStartSetting = "audit-tracking-start";

    /// <summary>The last successful cryptographic use of a key, from the audit log's key usage records.</summary>
    /// <summary>Waits until the audit journal is in the database (set by the host), so usage includes the latest calls.</summary>
    public Func<CancellationToken, Task>? FlushAudit { get; set; }

    public async ValueTask<GetKeyLastUsageResponse> GetKeyLastUsageAsync(Caller caller, GetKeyLastUsageRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        if (FlushAudit is { } flush)
        {
            // Bounded: with the database away the answer comes from what it has (the journal keeps the rest).
            try { await flush(ct).WaitAsync(TimeSpan.FromSeconds(2), ct); }
            catch (TimeoutException) { }
        }
        // The host records the tracking start at its first start; a read, not a write, on every call.
        var start = await storage.GetSettingAsync(TrackingStartSetting, ct)
                    ?? await storage.GetOrAddSettingAsync(TrackingStartSetting, BitConverter.GetBytes(Now().ToUnixTimeMilliseconds()), ct);
        var usage = await storage.GetKeyLastUsageAsync(Arn(key), ct);
        return new GetKeyLastUsageResponse
        {
            KeyId = Arn(key),
            KeyCreationDate = key.CreationDate,
            TrackingStartDate = DateTimeOffset.FromUnixTimeMilliseconds(BitConverter.ToInt64(start)),
            KeyLastUsage = usage is null ? null : new KeyLastUsageData
            {
                Timestamp = usage.Timestamp, Operation = usage.Operation, CloudTrailEventId = usage.EventId, KmsRequestId = usage.RequestId,
            },
        };
    }
}
