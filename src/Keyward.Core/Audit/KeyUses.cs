using System.Text.Json;
using Keyward.Protocol;

namespace Keyward.Core.Audit;

/// <summary>
/// What counts as a use of a key (GetKeyLastUsage): a successful call of an operation that uses its material. The
/// recorder marks events with it (<see cref="AuditEvent.UsedKey"/>); storage re-derives it from a stored event's
/// compact record when it rebuilds last uses it had not yet written (<see cref="FromRecord"/>).
/// </summary>
public static class KeyUses
{
    /// <summary>The operations that use a key's material (GetKeyLastUsage counts them; CloudTrail marks them read-only).</summary>
    public static readonly IReadOnlySet<KmsOperation> Cryptographic = new HashSet<KmsOperation>
    {
        KmsOperation.Encrypt, KmsOperation.Decrypt, KmsOperation.ReEncrypt, KmsOperation.GenerateDataKey,
        KmsOperation.GenerateDataKeyWithoutPlaintext, KmsOperation.GenerateDataKeyPair,
        KmsOperation.GenerateDataKeyPairWithoutPlaintext, KmsOperation.Sign, KmsOperation.Verify, KmsOperation.GenerateMac,
        KmsOperation.VerifyMac, KmsOperation.DeriveSharedSecret, KmsOperation.Encapsulate, KmsOperation.Decapsulate,
    };

    /// <summary>
    /// The keys a stored event used and its ids, read from its compact record (the recorder's: "name", "keys", "rid",
    /// "eid", and "err" when it failed); null when it used none. A record that does not parse used none: it is the
    /// audit chain's to report, not this.
    /// </summary>
    public static (IReadOnlyList<string> Keys, string EventId, string RequestId)? FromRecord(string eventName, ReadOnlySpan<byte> json)
    {
        if (!KmsTarget.TryParse(KmsTarget.Prefix + eventName, out var operation) || !Cryptographic.Contains(operation)) return null;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            List<string> keys = [];
            string eventId = "", requestId = "";
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "err": return null;
                    case "eid" when reader.TokenType == JsonTokenType.String: eventId = reader.GetString()!; break;
                    case "rid" when reader.TokenType == JsonTokenType.String: requestId = reader.GetString()!; break;
                    case "keys" when reader.TokenType == JsonTokenType.StartArray:
                        while (reader.Read() && reader.TokenType == JsonTokenType.String) keys.Add(reader.GetString()!);
                        if (reader.TokenType != JsonTokenType.EndArray) return null;
                        break;
                    default: reader.Skip(); break;
                }
            }
            return keys.Count == 0 ? null : (keys, eventId, requestId);
        }
        catch (JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
    }
}
