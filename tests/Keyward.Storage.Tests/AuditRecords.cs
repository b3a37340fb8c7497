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
}
