using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keyward.Core.Audit;
using Keyward.Core.Identity;
using Keyward.Core.Service;
using Keyward.Core.Storage;
using Keyward.Protocol;
using Keyward.Protocol.CloudTrail;
using Keyward.Protocol.Errors;

namespace Keyward.Server.Audit;

/// <summary>
/// CloudTrail's LookupEvents over the audit log (AWS CloudTrail API Reference, LookupEvents): the caller's account's
/// events, newest first, at most one lookup attribute, a time range, up to 50 a page (50 by default) and a NextToken
/// that is valid only with the parameters that produced it. Allowed by <c>cloudtrail:LookupEvents</c> in the caller's
/// identity policies; an account's root may always look.
/// </summary>
internal sealed class CloudTrailLookup(KmsService service, IKmsStorage storage)
{
    private readonly AuditChainProgress _chain = new(storage);
    public const int MaxResultsLimit = 50;
    private const int AttributeValueMax = 2000;
    private const string EventSource = "kms.amazonaws.com";
    private const string ResourceType = "AWS::KMS::Key";
    private static readonly CloudTrailJsonContext Json = CloudTrailJsonContext.Default;

    /// <param name="region">The Region the request was signed for: CloudTrail shows each Region's events there.</param>
    public async ValueTask<byte[]> LookupEventsAsync(Principal principal, string? sourceIp, string region, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var request = Dispatch.KmsDispatcher.Parse(body, Json.LookupEventsRequest);
        service.AuthorizeIdentity(principal, "cloudtrail:LookupEvents", sourceIp);

        var max = request.MaxResults ?? MaxResultsLimit;
        if (max is < 1 or > MaxResultsLimit)
            throw new KmsException(KmsErrorCode.InvalidMaxResultsException, $"MaxResults must be between 1 and {MaxResultsLimit}.");
        if (request.StartTime is { } s && request.EndTime is { } e && s > e)
            throw new KmsException(KmsErrorCode.InvalidTimeRangeException, "The start time must not be after the end time.");
        var filter = Filter(request.LookupAttributes);
        var response = new LookupEventsResponse();
        switch (request.EventCategory)
        {
            case null: break;
            // Keyward makes no Insights events: the lookup is valid and finds none.
            case "insight": return JsonSerializer.SerializeToUtf8Bytes(response, Json.LookupEventsResponse);
            default: throw new KmsException(KmsErrorCode.InvalidEventCategoryException, "EventCategory must be insight.");
        }

        var fingerprint = Fingerprint(principal.AccountId + "/" + region, request);
        var before = request.NextToken is null ? (long?)null : ReadToken(request.NextToken, fingerprint);
        var records = await storage.LookupAuditEventsAsync(new AuditLookup
        {
            AccountId = principal.AccountId,
            Region = region,
            Start = request.StartTime,
            End = request.EndTime,
            BeforeSequence = before,
            Limit = max + 1,
            Filter = filter,
        }, ct);
        if (records.Count > 0) await _chain.AdvanceAsync(records[0].Sequence, ct);
        foreach (var record in records.Take(max))
        {
            // Only an edited database holds an unreadable event (audit verify names it); it is left out, not an error.
            if (Event(record, _chain.Of(record.Sequence)) is { } trailEvent) response.Events.Add(trailEvent);
        }
        if (records.Count > max) response.NextToken = Token(records[max - 1].Sequence, fingerprint);
        return JsonSerializer.SerializeToUtf8Bytes(response, Json.LookupEventsResponse);
    }

    /// <summary>The one lookup attribute as a filter the database runs (CloudTrail allows at most one).</summary>
    private static AuditFilter? Filter(List<LookupAttribute>? attributes)
    {
        if (attributes is null || attributes.Count == 0) return null;
        if (attributes.Count > 1)
            throw InvalidAttributes("You can specify at most one lookup attribute.");
        var (key, value) = (attributes[0]?.AttributeKey, attributes[0]?.AttributeValue);
        if (key is null) throw InvalidAttributes("AttributeKey is required.");
        if (value is null || value.Length == 0 || value.Length > AttributeValueMax)
            throw InvalidAttributes($"AttributeValue must be 1 to {AttributeValueMax} characters.");
        return key switch
        {
            "EventId" => new AuditFilter(AuditFilterKind.RecordContains)
            {
                Fragments = [Fragment("eid", value), Fragment("eventID", value)],
            },
            "AccessKeyId" => new AuditFilter(AuditFilterKind.RecordContains)
            {
                Fragments = [Fragment("akid", value), Fragment("accessKeyId", value)],
            },
            "EventName" => new AuditFilter(AuditFilterKind.EventName, value),
            "ReadOnly" => value switch
            {
                "true" => new AuditFilter(AuditFilterKind.EventNameIn) { Names = CloudTrailRenderer.ReadOnlyNames },
                "false" => new AuditFilter(AuditFilterKind.EventNameNotIn) { Names = CloudTrailRenderer.ReadOnlyNames },
                _ => throw InvalidAttributes("The value of the ReadOnly attribute must be true or false."),
            },
            "Username" => new AuditFilter(AuditFilterKind.PrincipalEndsWith, value == "root" ? ":root" : "/" + value),
            "ResourceName" => new AuditFilter(AuditFilterKind.Key, value),
            "ResourceType" => value == ResourceType ? new AuditFilter(AuditFilterKind.AnyKey) : AuditFilter.Nothing,
            "EventSource" => value == EventSource ? null : AuditFilter.Nothing,
            _ => throw InvalidAttributes($"The attribute key '{key}' is not valid: use EventId, EventName, ReadOnly, Username, "
                                         + "ResourceType, ResourceName, EventSource or AccessKeyId."),
        };
    }

    /// <summary>A member of the stored record as its JSON writer wrote it (<c>"name":"value"</c>, the value escaped).</summary>
    private static byte[] Fragment(string name, string value)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString(name, value);
            w.WriteEndObject();
        }
        var json = buffer.ToArray();
        return json[1..^1]; // without the braces
    }

    private static KmsException InvalidAttributes(string message) => new(KmsErrorCode.InvalidLookupAttributesException, message);

    private static TrailEvent? Event(AuditRecord record, AuditChainProgress.State chain)
    {
        string json;
        try { json = CloudTrailRenderer.Render(record.Json, (record.Sequence, chain.ToString().ToLowerInvariant())); }
        catch (JsonException) { return null; }
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        var identity = e.TryGetProperty("userIdentity", out var u) && u.ValueKind == JsonValueKind.Object ? u : default;
        string? Text(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString() : null;
        var resources = new List<TrailResource>();
        if (e.TryGetProperty("resources", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var r in list.EnumerateArray())
                resources.Add(new TrailResource { ResourceType = Text(r, "type"), ResourceName = Text(r, "ARN") });
        return new TrailEvent
        {
            EventId = Text(e, "eventID"),
            EventName = Text(e, "eventName"),
            ReadOnly = e.TryGetProperty("readOnly", out var ro) && ro.ValueKind == JsonValueKind.True ? "true" : "false",
            AccessKeyId = Text(identity, "accessKeyId"),
            // CloudTrail's event times are whole seconds, as eventTime in the event's JSON.
            EventTime = DateTimeOffset.FromUnixTimeSeconds(record.EventTime.ToUnixTimeSeconds()),
            EventSource = Text(e, "eventSource") ?? EventSource,
            Username = Text(identity, "type") == "Root" ? "root" : Text(identity, "userName"),
            Resources = resources,
            CloudTrailEvent = json,
        };
    }

    /// <summary>What a NextToken is bound to: the account and every parameter but the page size and the token.</summary>
    private static string Fingerprint(string account, LookupEventsRequest r)
    {
        var a = r.LookupAttributes is [var first] ? $"{first?.AttributeKey}\u0000{first?.AttributeValue}" : "";
        var text = $"{account}\u0000{a}\u0000{r.StartTime?.ToUnixTimeMilliseconds()}\u0000{r.EndTime?.ToUnixTimeMilliseconds()}\u0000{r.EventCategory}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 12));
    }

    private static string Token(long sequence, string fingerprint) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"1:{sequence}:{fingerprint}"));

    private static long ReadToken(string token, string fingerprint)
    {
        string[] parts;
        try { parts = Encoding.ASCII.GetString(Convert.FromBase64String(token)).Split(':'); }
        catch (FormatException) { parts = []; }
        if (parts is ["1", var seq, var print] && long.TryParse(seq, System.Globalization.NumberStyles.None, null, out var sequence)
            && ConstantTime.AreEqual(Encoding.ASCII.GetBytes(print), Encoding.ASCII.GetBytes(fingerprint)))
            return sequence;
        throw new KmsException(KmsErrorCode.InvalidNextTokenException,
            "The NextToken is not valid: use it with the parameters of the request that returned it.");
    }
}
