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
    /// audit chain's to report, not this. Only events newer than the key-usage mark are read, and this form is older
    /// than the mark, so the earlier CloudTrail form (<see cref="AuditColumns"/>) never comes here.
    /// </summary>
    public static (IReadOnlyList<string> Keys, string EventId, string RequestId)? FromRecord(string eventName, ReadOnlyMemory<byte> json)
    {
        if (!KmsTarget.TryParse(KmsTarget.Prefix + eventName, out var operation) || !Cryptographic.Contains(operation)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var e = doc.RootElement;
            if (e.ValueKind != JsonValueKind.Object || e.TryGetProperty("err", out _)) return null;
            if (!e.TryGetProperty("keys", out var list) || list.ValueKind != JsonValueKind.Array) return null;
            if (list.EnumerateArray().Any(k => k.ValueKind != JsonValueKind.String)) return null;
            List<string> keys = [.. list.EnumerateArray().Select(k => k.GetString()!)];
            return keys.Count == 0 ? null : (keys, Text(e, "eid"), Text(e, "rid"));
        }
        catch (JsonException) { return null; }
    }

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}
