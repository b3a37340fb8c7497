using System.Globalization;
using System.Text;
using System.Text.Json;
using Keyward.Core.Audit;
using Keyward.Core.Identity;
using Keyward.Protocol;

namespace Keyward.Server.Audit;

/// <summary>
/// Turns one authenticated API call into a CloudTrail-format event and appends it to the audit log before
/// the response is sent. requestParameters copy only allowlisted request members (identifiers, contexts,
/// algorithms, policy documents), never plaintext, ciphertext, messages, signatures, MACs, key material,
/// import tokens, grant tokens or passwords; responseElements are null, as CloudTrail records KMS calls.
/// </summary>
internal sealed class AuditRecorder(AuditLog log, string region)
{
    // Request members CloudTrail-style logs may show (wire name → camelCase is applied when written).
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "KeyId", "DestinationKeyId", "SourceKeyId", "TargetKeyId", "AliasName", "EncryptionContext", "SourceEncryptionContext",
        "DestinationEncryptionContext", "EncryptionAlgorithm", "SourceEncryptionAlgorithm", "DestinationEncryptionAlgorithm", "KeySpec",
        "KeyUsage", "CustomerMasterKeySpec", "Origin", "NumberOfBytes", "KeyPairSpec", "SigningAlgorithm", "MessageType", "MacAlgorithm",
        "KeyAgreementAlgorithm", "Description", "PendingWindowInDays", "GranteePrincipal", "RetiringPrincipal", "Operations", "Constraints",
        "Name", "GrantId", "TagKeys", "Tags", "RotationPeriodInDays", "CustomKeyStoreId", "CustomKeyStoreName", "NewCustomKeyStoreName",
        "CloudHsmClusterId", "CustomKeyStoreType", "WrappingAlgorithm", "WrappingKeySpec", "PolicyName", "Policy", "BypassPolicyLockoutSafetyCheck",
        "MultiRegion", "Limit", "IncludeKeyMaterial", "ImportType", "ExpirationModel", "ValidTo", "KeyMaterialId", "KeyMaterialDescription",
        "DryRun", "XksKeyId",
    };

    private static readonly HashSet<KmsOperation> Cryptographic =
    [
        KmsOperation.Encrypt, KmsOperation.Decrypt, KmsOperation.ReEncrypt, KmsOperation.GenerateDataKey, KmsOperation.GenerateDataKeyWithoutPlaintext,
        KmsOperation.GenerateDataKeyPair, KmsOperation.GenerateDataKeyPairWithoutPlaintext, KmsOperation.Sign, KmsOperation.Verify,
        KmsOperation.GenerateMac, KmsOperation.VerifyMac, KmsOperation.DeriveSharedSecret,
    ];

    /// <summary>Appends the event of <paramref name="caller"/>'s request; throws if the log cannot be written.</summary>
    public void Record(Caller caller, string requestId, ReadOnlyMemory<byte> body, string? errorCode, string? errorMessage)
    {
        var now = DateTimeOffset.UtcNow;
        var eventId = Guid.NewGuid().ToString("D");
        var operation = caller.Operation;
        var json = Build(caller, requestId, eventId, now, body, errorCode, errorMessage);
        var usedKey = errorCode is null && Cryptographic.Contains(operation);
        log.Append(new AuditEvent(now, operation.ToString(), eventId, requestId, caller.Arn, caller.Audit.KeyArns, usedKey, json));
    }

    private byte[] Build(Caller caller, string requestId, string eventId, DateTimeOffset now, ReadOnlyMemory<byte> body, string? errorCode, string? errorMessage)
    {
        using var buffer = new MemoryStream(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("eventVersion", "1.11");
            w.WriteStartObject("userIdentity");
            var p = caller.Principal;
            var name = p.IsRoot ? null : p.Arn[(p.Arn.IndexOf('/', StringComparison.Ordinal) + 1)..];
            w.WriteString("type", p.IsRoot ? "Root" : p.Arn.Contains(":user/", StringComparison.Ordinal) ? "IAMUser" : "Role");
            w.WriteString("principalId", p.IsRoot ? p.AccountId : $"{p.AccountId}:{name}");
            w.WriteString("arn", p.Arn);
            w.WriteString("accountId", p.AccountId);
            if (caller.AccessKeyId is { } accessKey) w.WriteString("accessKeyId", accessKey);
            if (name is not null && !p.IsRoot) w.WriteString("userName", name);
            w.WriteEndObject();
            w.WriteString("eventTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteString("eventSource", "kms.amazonaws.com");
            w.WriteString("eventName", caller.Operation.ToString());
            w.WriteString("awsRegion", region);
            w.WriteString("sourceIPAddress", caller.SourceIp ?? "");
            w.WriteString("userAgent", caller.UserAgent ?? "");
            w.WritePropertyName("requestParameters");
            WriteParameters(w, body);
            w.WriteNull("responseElements");
            w.WriteString("requestID", requestId);
            w.WriteString("eventID", eventId);
            var op = caller.Operation.ToString();
            w.WriteBoolean("readOnly", Cryptographic.Contains(caller.Operation) || caller.Operation == KmsOperation.GenerateRandom
                                        || op.StartsWith("Describe", StringComparison.Ordinal) || op.StartsWith("List", StringComparison.Ordinal) || op.StartsWith("Get", StringComparison.Ordinal));
            w.WriteStartArray("resources");
            foreach (var arn in caller.Audit.KeyArns)
            {
                w.WriteStartObject();
                w.WriteString("accountId", arn.Split(':')[4]);
                w.WriteString("type", "AWS::KMS::Key");
                w.WriteString("ARN", arn);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("eventType", "AwsApiCall");
            w.WriteBoolean("managementEvent", true);
            w.WriteString("recipientAccountId", caller.Audit.KeyArns.Count > 0 ? caller.Audit.KeyArns[0].Split(':')[4] : p.AccountId);
            w.WriteString("eventCategory", "Management");
            if (errorCode is not null)
            {
                w.WriteString("errorCode", errorCode);
                w.WriteString("errorMessage", errorMessage ?? "");
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The allowlisted members of the request body, camelCased; null when the body is not a JSON object or a
    /// member cannot be re-encoded (a lone surrogate: the request itself is answered with its own error).
    /// </summary>
    private static void WriteParameters(Utf8JsonWriter w, ReadOnlyMemory<byte> body)
    {
        if (Parameters(body) is { } json) w.WriteRawValue(json, skipInputValidation: true);
        else w.WriteNullValue();
    }

    private static byte[]? Parameters(ReadOnlyMemory<byte> body)
    {
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty) return null;
        try
        {
            // Parsed in place (no copy of a body that may hold plaintext; the handler zeroes it after the response).
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                foreach (var member in doc.RootElement.EnumerateObject())
                {
                    if (!Allowed.Contains(member.Name)) continue;
                    w.WritePropertyName(char.ToLowerInvariant(member.Name[0]) + member.Name[1..]);
                    member.Value.WriteTo(w);
                }
                w.WriteEndObject();
            }
            return buffer.ToArray();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException) { return null; }
    }
}
