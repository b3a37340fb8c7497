using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class GetKeyLastUsageRequest : IValidatable
{
    public string? KeyId { get; set; }

    public void Validate(ValidationErrors e) => Members.KeyId(e, KeyId);
}

public sealed class GetKeyLastUsageResponse
{
    public string? KeyId { get; set; }
    public DateTimeOffset? KeyCreationDate { get; set; }
    public DateTimeOffset? TrackingStartDate { get; set; }
    public KeyLastUsageData? KeyLastUsage { get; set; }
}

public sealed class KeyLastUsageData
{
    public DateTimeOffset? Timestamp { get; set; }
    public string? Operation { get; set; }
    public string? CloudTrailEventId { get; set; }
    public string? KmsRequestId { get; set; }
}
