using System.Text;
using System.Text.Json;

namespace Keyward.Storage.Tests;

/// <summary>
/// Audit events as the server writes them (the compact record, format 2): their index columns repeat what the JSON
/// says, which <c>AuditChain.Check</c> verifies, so a test event must agree with itself as a real one does.
/// </summary>
internal static class AuditRecords
{
    public static byte[] Json(DateTimeOffset time, string name, string principal, IReadOnlyList<string> keys, string extra)
    {
        var keyList = string.Join(",", keys.Select(k => JsonSerializer.Serialize(k)));
        var stamp = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetBytes(
            $"{{\"v\":2,\"time\":\"{stamp}\",\"name\":\"{name}\",\"arn\":{JsonSerializer.Serialize(principal)},\"keys\":[{keyList}],{extra}}}");
    }

    /// <summary>Asserts that <paramref name="records"/> are the chain from its first event on: sequences 1, 2, …,
    /// each linked to the one before and matching its hash and columns (<c>AuditChain.Check</c>).</summary>
    public static void AssertChained(IReadOnlyList<Keyward.Core.Audit.AuditRecord> records)
    {
        var previous = Keyward.Core.Audit.AuditChain.Genesis;
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Null(Keyward.Core.Audit.AuditChain.Check(records[i], i + 1, previous));
            previous = records[i].Hash;
        }
    }
}
