using System.Text.Json.Serialization;
using Keyward.Protocol.Json;
using Keyward.Protocol.Validation;

namespace Keyward.Protocol.CloudTrail;

/// <summary>
/// CloudTrail's LookupEvents on the wire (AWS JSON 1.1, SigV4 service <c>cloudtrail</c>), as botocore's
/// cloudtrail model states it. Keyward answers it from its own audit log; no other CloudTrail operation exists.
/// </summary>
public static class CloudTrailTarget
{
    /// <summary>The X-Amz-Target prefix of every CloudTrail operation, as botocore (the model's targetPrefix) sends it.</summary>
    public const string Prefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

    /// <summary>The prefix the Smithy-built SDKs send (the AWS SDK for JavaScript v3: the service shape's name).</summary>
    public const string ShortPrefix = "CloudTrail_20131101.";

    /// <summary>The operation a CloudTrail target names, or null when the target is not CloudTrail's.</summary>
    public static string? Operation(string target) =>
        target.StartsWith(Prefix, StringComparison.Ordinal) ? target[Prefix.Length..]
        : target.StartsWith(ShortPrefix, StringComparison.Ordinal) ? target[ShortPrefix.Length..]
        : null;

    /// <summary>The SigV4 service name of CloudTrail's endpoint.</summary>
    public const string SigningName = "cloudtrail";
}

public sealed class LookupEventsRequest : IValidatable
{
    /// <summary>CloudTrail answers its constraints with its own error types: CloudTrailLookup checks them.</summary>
    public void Validate(ValidationErrors e) { }

    public List<LookupAttribute>? LookupAttributes { get; set; }
    public DateTimeOffset? StartTime { get; set; }
    public DateTimeOffset? EndTime { get; set; }
    public string? EventCategory { get; set; }
    public int? MaxResults { get; set; }
    public string? NextToken { get; set; }
}

public sealed class LookupAttribute
{
    public string? AttributeKey { get; set; }
    public string? AttributeValue { get; set; }
}

public sealed class LookupEventsResponse
{
    public List<TrailEvent> Events { get; set; } = [];
    public string? NextToken { get; set; }
}

/// <summary>One event of a LookupEvents answer; <see cref="CloudTrailEvent"/> is the event's whole CloudTrail JSON.</summary>
public sealed class TrailEvent
{
    public string? EventId { get; set; }
    public string? EventName { get; set; }
    /// <summary>"true" or "false": a string on the wire, as CloudTrail sends it.</summary>
    public string? ReadOnly { get; set; }
    public string? AccessKeyId { get; set; }
    public DateTimeOffset EventTime { get; set; }
    public string? EventSource { get; set; }
    public string? Username { get; set; }
    public List<TrailResource>? Resources { get; set; }
    public string? CloudTrailEvent { get; set; }
}

public sealed class TrailResource
{
    public string? ResourceType { get; set; }
    public string? ResourceName { get; set; }
}

/// <summary>Source-generated serializers for LookupEvents, with KMS's settings (exact names, no duplicates, no nulls).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false,
    AllowDuplicateProperties = false,
    Converters = [typeof(EpochSecondsConverter)])]
[JsonSerializable(typeof(LookupEventsRequest))]
[JsonSerializable(typeof(LookupEventsResponse))]
public sealed partial class CloudTrailJsonContext : JsonSerializerContext;
