using System.Globalization;
using System.Text.Json;

namespace Keyward.Core.Audit;

/// <summary>
/// A stored event's index columns (time, event name, principal, keys) repeat facts of its JSON, which the hash chain
/// covers; queries filter on the columns. <see cref="Mismatch"/> names the first column that does not say what the
/// hashed JSON says, so <c>audit verify</c> detects a change to any stored column, not only to the JSON.
/// Both stored forms are read: the compact record (<c>{"v":2,"time":…,"name":…,"arn":…,"keys":[…]}</c>, its time in
/// milliseconds since this check exists, in seconds before) and the older CloudTrail JSON (eventTime in seconds).
/// </summary>
public static class AuditColumns
{
    /// <summary>The name of the first column that disagrees with the event's JSON, or null when all agree.</summary>
    public static string? Mismatch(AuditRecord record)
    {
        string? time, name, arn;
        List<string> keys = [];
        try
        {
            using var doc = JsonDocument.Parse(record.Json);
            var e = doc.RootElement;
            if (e.ValueKind != JsonValueKind.Object) return "json";
            var compact = e.TryGetProperty("v", out var v) && v.ValueKind == JsonValueKind.Number;
            time = Text(e, compact ? "time" : "eventTime");
            name = Text(e, compact ? "name" : "eventName");
            arn = compact ? Text(e, "arn") : e.TryGetProperty("userIdentity", out var u) && u.ValueKind == JsonValueKind.Object ? Text(u, "arn") : null;
            if (e.TryGetProperty(compact ? "keys" : "resources", out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var item in list.EnumerateArray())
                    if ((compact ? item : item.ValueKind == JsonValueKind.Object && item.TryGetProperty("ARN", out var a) ? a : default)
                        is { ValueKind: JsonValueKind.String } s && !keys.Contains(s.GetString()!))
                        keys.Add(s.GetString()!);
        }
        catch (JsonException) { return "json"; }
        if (!SameTime(time, record.EventTime)) return "event_time";
        if (name != record.EventName) return "event_name";
        if (arn != record.PrincipalArn) return "principal_arn";
        if ((keys.Count == 0 ? null : string.Join(' ', keys)) != record.KeyArn) return "key_arns";
        return null;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The column's time (milliseconds) agrees with the JSON's, to the JSON's precision (milliseconds or seconds).</summary>
    private static bool SameTime(string? text, DateTimeOffset column)
    {
        if (!DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss.fff'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'"], CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)) return false;
        var ms = column.ToUnixTimeMilliseconds();
        return text!.Length > 20 ? time.ToUnixTimeMilliseconds() == ms : time.ToUnixTimeSeconds() == Math.Floor(ms / 1000.0);
    }
}
