using System.Buffers;
using System.Text;
using System.Text.Json;
using Keyward.Core.Audit;
using Keyward.Protocol;

namespace Keyward.Server.Audit;

/// <summary>
/// An audit event is stored in a compact form (format 2): the facts of the call and nothing derivable, about half the
/// bytes of its CloudTrail JSON, since every byte is written to the journal, hashed, and written twice by SQLite (WAL,
/// checkpoint) on every request. <c>keyward audit query</c> renders it as CloudTrail JSON; the hash chain covers the
/// stored form. Events stored before the compact form (the CloudTrail JSON itself) are shown as they are.
/// <code>
/// {"v":2,"time":…,"name":…,"region":…,"ip":…,"ua":…,"arn":…,"akid":…,"params":{…}|null,"rid":…,"eid":…,"keys":[…],"err":…,"msg":…}
/// </code>
/// </summary>
internal static class CloudTrailRenderer
{
    /// <summary>How a compact record (format 2) starts; anything else is an event stored as CloudTrail JSON.</summary>
    public static ReadOnlySpan<byte> CompactPrefix => "{\"v\":2,"u8;

    private static readonly string CompactStart = Encoding.ASCII.GetString(CompactPrefix);

    /// <summary>The CloudTrail JSON of a stored event (a compact record, or an older event stored as CloudTrail JSON).</summary>
    /// <param name="chain">The event's place in the hash chain and whether it verifies, shown as additionalEventData.chain.</param>
    public static string Render(string stored, (long Sequence, string State)? chain = null)
    {
        if (!stored.StartsWith(CompactStart, StringComparison.Ordinal)) return stored;
        using var doc = JsonDocument.Parse(stored);
        var e = doc.RootElement;
        string? Text(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var arn = Text("arn") ?? "";
        var account = Field(arn, 4);
        var isRoot = arn.EndsWith(":root", StringComparison.Ordinal);
        var userName = isRoot ? null : arn[(arn.IndexOf('/', StringComparison.Ordinal) + 1)..];
        var name = Text("name") ?? "";
        var keys = e.TryGetProperty("keys", out var k) && k.ValueKind == JsonValueKind.Array ? k.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [];

        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("eventVersion", "1.11");
            w.WriteStartObject("userIdentity");
            w.WriteString("type", isRoot ? "Root" : arn.Contains(":user/", StringComparison.Ordinal) ? "IAMUser" : "Role");
            w.WriteString("principalId", isRoot ? account : $"{account}:{userName}");
            w.WriteString("arn", arn);
            w.WriteString("accountId", account);
            if (Text("akid") is { } accessKey) w.WriteString("accessKeyId", accessKey);
            if (userName is not null) w.WriteString("userName", userName);
            w.WriteEndObject();
            // CloudTrail's eventTime is in whole seconds; the record's has milliseconds (since audit verify checks its column).
            w.WriteString("eventTime", Text("time") is { Length: > 20 } t ? t[..19] + "Z" : Text("time"));
            w.WriteString("eventSource", "kms.amazonaws.com");
            w.WriteString("eventName", name);
            w.WriteString("awsRegion", Text("region"));
            w.WriteString("sourceIPAddress", Text("ip") ?? "");
            w.WriteString("userAgent", Text("ua") ?? "");
            w.WritePropertyName("requestParameters");
            if (e.TryGetProperty("params", out var parameters)) parameters.WriteTo(w);
            else w.WriteNullValue();
            w.WriteNull("responseElements");
            w.WriteString("requestID", Text("rid"));
            w.WriteString("eventID", Text("eid"));
            w.WriteBoolean("readOnly", IsReadOnly(name));
            w.WriteStartArray("resources");
            foreach (var key in keys)
            {
                w.WriteStartObject();
                w.WriteString("accountId", Field(key, 4));
                w.WriteString("type", "AWS::KMS::Key");
                w.WriteString("ARN", key);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (chain is { } c)
            {
                w.WriteStartObject("additionalEventData");
                w.WriteStartObject("chain");
                w.WriteNumber("sequence", c.Sequence);
                w.WriteString("state", c.State);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteString("eventType", "AwsApiCall");
            w.WriteBoolean("managementEvent", true);
            w.WriteString("recipientAccountId", keys.Count > 0 ? Field(keys[0], 4) : account);
            w.WriteString("eventCategory", "Management");
            if (Text("err") is { } error)
            {
                w.WriteString("errorCode", error);
                w.WriteString("errorMessage", Text("msg") ?? "");
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>CloudTrail's readOnly: the call changes nothing (cryptography, GenerateRandom, Describe*, List*, Get*).</summary>
    public static bool IsReadOnly(string eventName) =>
        (Enum.TryParse<KmsOperation>(eventName, out var operation)
         && (KeyUses.Cryptographic.Contains(operation) || operation == KmsOperation.GenerateRandom))
        || eventName.StartsWith("Describe", StringComparison.Ordinal) || eventName.StartsWith("List", StringComparison.Ordinal)
        || eventName.StartsWith("Get", StringComparison.Ordinal);

    /// <summary>The event names of KMS's read-only calls (LookupEvents' ReadOnly attribute, as a list the database compares).</summary>
    public static IReadOnlyList<string> ReadOnlyNames { get; } =
        [.. Enum.GetValues<KmsOperation>().Select(KmsOperationNames.Name).Where(IsReadOnly)];

    /// <summary>Field <paramref name="index"/> of an ARN (arn:partition:service:region:account:resource).</summary>
    private static string Field(string arn, int index)
    {
        var parts = arn.Split(':', 6);
        return parts.Length > index ? parts[index] : "";
    }
}
