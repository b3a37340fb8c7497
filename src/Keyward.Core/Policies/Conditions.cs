using System.Globalization;
using System.Net;

namespace Keyward.Core.Policies;

/// <summary>
/// The IAM condition operators, evaluated against the request's condition keys. Semantics as the
/// IAM user guide gives them: the values of one condition are ORed; a missing key fails a
/// condition unless the operator is negated (StringNotEquals…), IfExists is used, or the set
/// qualifier is ForAllValues; ForAnyValue / ForAllValues apply the operator to each value of a
/// multivalued key (kms:EncryptionContextKeys, kms:ResourceAliases). Without a qualifier a
/// multivalued key behaves as ForAnyValue. String comparisons are ordinal.
/// </summary>
internal static class Conditions
{
    private static readonly HashSet<string> Positive = new(StringComparer.Ordinal)
    {
        "StringEquals", "StringEqualsIgnoreCase", "StringLike", "NumericEquals", "NumericLessThan", "NumericLessThanEquals",
        "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
        "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "ArnEquals", "ArnLike",
    };

    // Each negated operator and the positive operator it negates.
    private static readonly Dictionary<string, string> Negated = new(StringComparer.Ordinal)
    {
        ["StringNotEquals"] = "StringEquals", ["StringNotEqualsIgnoreCase"] = "StringEqualsIgnoreCase", ["StringNotLike"] = "StringLike",
        ["NumericNotEquals"] = "NumericEquals", ["DateNotEquals"] = "DateEquals", ["NotIpAddress"] = "IpAddress",
        ["ArnNotEquals"] = "ArnEquals", ["ArnNotLike"] = "ArnLike",
    };

    public static bool IsKnownOperator(string name) => name == "Null" || Positive.Contains(name) || Negated.ContainsKey(name);

    /// <summary>Whether every condition of a statement holds (conditions are ANDed).</summary>
    public static bool All(IReadOnlyList<PolicyCondition> conditions, AuthorizationContext context)
    {
        for (var i = 0; i < conditions.Count; i++)
            if (!Evaluate(conditions[i], context)) return false;
        return true;
    }

    public static bool Evaluate(PolicyCondition c, AuthorizationContext context)
    {
        var actual = context.Values(c);
        var present = actual is { Count: > 0 };
        if (c.Operator == "Null") return c.Values.Any(v => v.Equals("true", StringComparison.OrdinalIgnoreCase) ? !present : present);
        var negated = Negated.TryGetValue(c.Operator, out var positive);
        positive ??= c.Operator;
        if (!present)
        {
            return c.Set switch
            {
                ConditionSet.ForAllValues => true,
                ConditionSet.ForAnyValue => c.IfExists,
                _ => c.IfExists || negated,
            };
        }
        // A negated operator on a multivalued key without a qualifier: no value may match.
        var all = c.Set == ConditionSet.ForAllValues || (c.Set == ConditionSet.None && negated);
        for (var i = 0; i < actual!.Count; i++)
        {
            var one = MatchesAny(c, positive, actual[i]) != negated;
            if (all && !one) return false;
            if (!all && one) return true;
        }
        return all;
    }

    /// <summary>Whether <paramref name="value"/> matches one of the condition's values under the positive operator.</summary>
    private static bool MatchesAny(PolicyCondition c, string positive, string value)
    {
        if (c.Networks is { } networks)
        {
            if (!IPAddress.TryParse(value, out var ip)) return false;
            if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
            for (var i = 0; i < networks.Count; i++)
                if (networks[i] is { } n && n.Contains(ip)) return true;
            return false;
        }
        for (var i = 0; i < c.Values.Count; i++)
            if (Match(positive, value, c.Values[i])) return true;
        return false;
    }

    private static bool Match(string op, string actual, string expected) => op switch
    {
        "StringEquals" => string.Equals(actual, expected, StringComparison.Ordinal),
        "StringEqualsIgnoreCase" => string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase),
        "StringLike" => Wildcard.Match(expected, actual, ignoreCase: false),
        "NumericEquals" => Numbers(actual, expected) is { } n && n.A == n.E,
        "NumericLessThan" => Numbers(actual, expected) is { } n && n.A < n.E,
        "NumericLessThanEquals" => Numbers(actual, expected) is { } n && n.A <= n.E,
        "NumericGreaterThan" => Numbers(actual, expected) is { } n && n.A > n.E,
        "NumericGreaterThanEquals" => Numbers(actual, expected) is { } n && n.A >= n.E,
        "DateEquals" => Dates(actual, expected) is { } d && d.A == d.E,
        "DateLessThan" => Dates(actual, expected) is { } d && d.A < d.E,
        "DateLessThanEquals" => Dates(actual, expected) is { } d && d.A <= d.E,
        "DateGreaterThan" => Dates(actual, expected) is { } d && d.A > d.E,
        "DateGreaterThanEquals" => Dates(actual, expected) is { } d && d.A >= d.E,
        "Bool" => bool.TryParse(actual, out var a) && bool.TryParse(expected, out var e) && a == e,
        "BinaryEquals" => string.Equals(actual, expected, StringComparison.Ordinal),
        "ArnEquals" or "ArnLike" => ArnMatch(actual, expected),
        _ => false,
    };

    private static (decimal A, decimal E)? Numbers(string actual, string expected) =>
        decimal.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
        && decimal.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var e) ? (a, e) : null;

    private static (DateTimeOffset A, DateTimeOffset E)? Dates(string actual, string expected) =>
        Date(actual) is { } a && Date(expected) is { } e ? (a, e) : null;

    /// <summary>ISO 8601 (2026-01-01, 2026-01-01T00:00:00Z) or epoch seconds, as IAM accepts.</summary>
    private static DateTimeOffset? Date(string s)
    {
        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)) return DateTimeOffset.FromUnixTimeSeconds(epoch);
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d) ? d : null;
    }

    /// <summary>ARNs compare by their six colon-separated parts, each part with wildcards.</summary>
    private static bool ArnMatch(string actual, string pattern)
    {
        var a = actual.Split(':', 6);
        var p = pattern.Split(':', 6);
        if (a.Length != 6 || p.Length != 6) return false;
        for (var i = 0; i < 6; i++) if (!Wildcard.Match(p[i], a[i], ignoreCase: false)) return false;
        return true;
    }
}
