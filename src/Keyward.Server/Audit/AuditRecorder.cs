using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Keyward.Core.Audit;
using Keyward.Core.Identity;
using Keyward.Protocol;

namespace Keyward.Server.Audit;

/// <summary>
/// Turns one authenticated API call into an audit event (its compact record, which `keyward audit query` shows as
/// CloudTrail JSON: <see cref="CloudTrailRenderer"/>) and appends it to the audit log before the response is sent.
/// requestParameters copy only allowlisted request members (identifiers, contexts, algorithms, policy documents), never plaintext, ciphertext, messages, signatures, MACs, key material,
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
        "KeyAgreementAlgorithm", "EncapsulationAlgorithm", "Description", "PendingWindowInDays", "GranteePrincipal", "RetiringPrincipal", "Operations", "Constraints",
        "Name", "GrantId", "TagKeys", "Tags", "RotationPeriodInDays", "CustomKeyStoreId", "CustomKeyStoreName", "NewCustomKeyStoreName",
        "CloudHsmClusterId", "CustomKeyStoreType", "WrappingAlgorithm", "WrappingKeySpec", "PolicyName", "Policy", "BypassPolicyLockoutSafetyCheck",
        "MultiRegion", "Limit", "IncludeKeyMaterial", "ImportType", "ExpirationModel", "ValidTo", "KeyMaterialId", "KeyMaterialDescription",
        "ReplicaRegion", "PrimaryRegion", "ReplicaPolicy", "ReplicaTags", "DryRun", "XksKeyId", "XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyConnectivity", "XksProxyVpcEndpointServiceName",
    };

    // One line buffer and JSON writer per thread, reused: Record never awaits, so a thread finishes one event before
    // it starts another. The line holds no secret (only allowlisted members are copied), so it is not zeroed.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_line;
    [ThreadStatic] private static Utf8JsonWriter? t_json;

    /// <summary>Appends the event of <paramref name="caller"/>'s request; throws if the log cannot be written.</summary>
    public void Record(Caller caller, string requestId, ReadOnlyMemory<byte> body, string? errorCode, string? errorMessage)
    {
        var line = t_line ??= new ArrayBufferWriter<byte>(2048);
        line.ResetWrittenCount();
        var now = DateTimeOffset.UtcNow;
        Span<char> eventId = stackalloc char[36];
        Dispatch.Uuids.New().TryFormat(eventId, out _, "D");
        var operation = caller.Operation;
        var name = KmsOperationNames.Name(operation);
        var usedKey = errorCode is null && KeyUses.Cryptographic.Contains(operation);
        AuditJournal.WriteHead(line, now, name, eventId, requestId, caller.Arn, caller.Audit.KeyArns, usedKey);
        WriteEvent(line, caller, name, requestId, eventId, now, body.Span, errorCode, errorMessage);
        line.Write("\n"u8);
        log.Append(line.WrittenSpan);
        if (line.Capacity > 64 * 1024) t_line = null; // an unusually large event does not stay pinned to the thread
    }

    /// <summary>
    /// The event's compact record (<see cref="CloudTrailRenderer"/>: what CloudTrail shows, less what it derives), written
    /// straight into the line: member names are constants, and a string of plain ASCII (the usual ARN, id, address or
    /// user agent) is copied as it is; anything else is escaped as JSON text. Only requestParameters go through a JSON writer.
    /// </summary>
    private void WriteEvent(ArrayBufferWriter<byte> line, Caller caller, string name, string requestId, ReadOnlySpan<char> eventId, DateTimeOffset now,
        ReadOnlySpan<byte> body, string? errorCode, string? errorMessage)
    {
        line.Write(CloudTrailRenderer.CompactPrefix);
        line.Write("\"time\":\""u8);
        // Milliseconds, as the event_time column holds them: audit verify checks the column against this (AuditColumns).
        now.UtcDateTime.TryFormat(line.GetSpan(24), out var timeLength, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        line.Advance(timeLength);
        line.Write("\",\"name\":"u8);
        JsonText(line, name);
        line.Write(",\"region\":"u8);
        JsonText(line, caller.Region ?? region);
        line.Write(",\"ip\":"u8);
        JsonText(line, caller.SourceIp);
        line.Write(",\"ua\":"u8);
        JsonText(line, caller.UserAgent);
        line.Write(",\"arn\":"u8);
        JsonText(line, caller.Principal.Arn);
        if (caller.AccessKeyId is { } accessKey)
        {
            line.Write(",\"akid\":"u8);
            JsonText(line, accessKey);
        }
        line.Write(",\"params\":"u8);
        var w = t_json ??= new Utf8JsonWriter(line);
        w.Reset(line);
        WriteParameters(w, body);
        w.Flush();
        line.Write(",\"rid\":"u8);
        JsonText(line, requestId);
        line.Write(",\"eid\":"u8);
        JsonText(line, eventId);
        line.Write(",\"keys\":["u8);
        var keys = caller.Audit.KeyArns;
        for (var i = 0; i < keys.Count; i++)
        {
            if (i > 0) line.Write(","u8);
            JsonText(line, keys[i]);
        }
        line.Write("]"u8);
        if (errorCode is not null)
        {
            line.Write(",\"err\":"u8);
            JsonText(line, errorCode);
            line.Write(",\"msg\":"u8);
            JsonText(line, errorMessage);
        }
        line.Write("}"u8);
    }

    // Printable ASCII that JSON text needs no escape for.
    private static readonly SearchValues<char> Plain =
        SearchValues.Create(Enumerable.Range(0x20, 0x5F).Select(c => (char)c).Where(c => c is not ('"' or '\\')).ToArray());

    /// <summary>A JSON string: copied byte for byte when it is plain ASCII, escaped otherwise (control characters, quotes, non-ASCII).</summary>
    private static void JsonText(ArrayBufferWriter<byte> line, ReadOnlySpan<char> value)
    {
        if (!value.ContainsAnyExcept(Plain))
        {
            var span = line.GetSpan(value.Length + 2);
            span[0] = (byte)'"';
            Encoding.ASCII.GetBytes(value, span[1..]);
            span[value.Length + 1] = (byte)'"';
            line.Advance(value.Length + 2);
            return;
        }
        line.Write("\""u8);
        line.Write(JsonEncodedText.Encode(value).EncodedUtf8Bytes);
        line.Write("\""u8);
    }

    /// <summary>
    /// The allowlisted members of the request body, camelCased, copied as they came; null when the body is not a
    /// JSON object or is not valid JSON and UTF-8 (the request itself is answered with its own error). The body is
    /// read in place: no copy of a body that may hold plaintext (the handler zeroes it after the response).
    /// </summary>
    private static void WriteParameters(Utf8JsonWriter w, ReadOnlySpan<byte> body)
    {
        // First pass: validate the whole body and note where the allowed members are; nothing is written unless it is valid.
        const int MaxMembers = 32;
        var names = t_names ??= new JsonEncodedText[MaxMembers];
        Span<(int Start, int Length)> values = stackalloc (int, int)[MaxMembers];
        var count = 0;
        try
        {
            if (!Utf8.IsValid(body)) { w.WriteNullValue(); return; }
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) { w.WriteNullValue(); return; }
            Span<char> name = stackalloc char[64];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Escaped names are unescaped first, as the request's own deserialization does.
                JsonEncodedText camel = default;
                var known = reader.ValueSpan.Length <= name.Length && CamelNames.TryGetValue(name[..reader.CopyString(name)], out camel);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
                if (known && count < MaxMembers)
                {
                    names[count] = camel;
                    values[count++] = (start, (int)reader.BytesConsumed - start);
                }
            }
            while (reader.Read()) { } // the rest must be valid too (nothing may follow the object)
        }
        catch (JsonException) { w.WriteNullValue(); return; }
        w.WriteStartObject();
        for (var i = 0; i < count; i++)
        {
            w.WritePropertyName(names[i]);
            w.WriteRawValue(body.Slice(values[i].Start, values[i].Length), skipInputValidation: true);
        }
        w.WriteEndObject();
    }

    [ThreadStatic] private static JsonEncodedText[]? t_names;

    // Wire name → its camelCased, pre-encoded form in the event.
    private static readonly Dictionary<string, JsonEncodedText>.AlternateLookup<ReadOnlySpan<char>> CamelNames =
        Allowed.ToDictionary(n => n, n => JsonEncodedText.Encode(char.ToLowerInvariant(n[0]) + n[1..]), StringComparer.Ordinal)
            .GetAlternateLookup<ReadOnlySpan<char>>();
}
