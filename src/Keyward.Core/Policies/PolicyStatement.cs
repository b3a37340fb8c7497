namespace Keyward.Core.Policies;

/// <summary>
/// One statement of a policy document, parsed. Lists are never null; a statement has either
/// <see cref="Principals"/> or <see cref="NotPrincipals"/> (key policies) or neither (identity
/// policies), either Actions or NotActions, either Resources or NotResources.
/// </summary>
public sealed record PolicyStatement
{
    public string? Sid { get; init; }
    public required bool Allow { get; init; }
    public IReadOnlyList<string>? Principals { get; init; }
    public IReadOnlyList<string>? NotPrincipals { get; init; }
    public IReadOnlyList<string>? Actions { get; init; }
    public IReadOnlyList<string>? NotActions { get; init; }
    public IReadOnlyList<string>? Resources { get; init; }
    public IReadOnlyList<string>? NotResources { get; init; }
    public IReadOnlyList<PolicyCondition> Conditions { get; init; } = [];
}

/// <summary>
/// One operator-key pair of a Condition block, e.g. <c>"StringEquals": {"kms:CallerAccount": ["1", "2"]}</c>.
/// The values are ORed, the conditions of a statement ANDed.
/// </summary>
/// <param name="Operator">The base operator (StringEquals, NumericLessThan…), without qualifier or IfExists.</param>
/// <param name="Set">ForAnyValue / ForAllValues qualifier, or none.</param>
public sealed record PolicyCondition(string Operator, ConditionSet Set, bool IfExists, string Key, IReadOnlyList<string> Values)
{
    private const string ContextPrefix = "kms:EncryptionContext:";

    /// <summary>The condition key in lower case (condition key names are case-insensitive), for lookups per request.</summary>
    public string LowerKey { get; } = Key.ToLowerInvariant();

    /// <summary>For kms:EncryptionContext:&lt;key&gt;, the context key (case-sensitive, as AWS has it); otherwise null.</summary>
    public string? ContextKey { get; } = Key.StartsWith(ContextPrefix, StringComparison.OrdinalIgnoreCase) ? Key[ContextPrefix.Length..] : null;

    /// <summary>The values of an IpAddress / NotIpAddress condition as networks, parsed once (null for a value that is no network).</summary>
    public IReadOnlyList<System.Net.IPNetwork?>? Networks { get; } = Operator is "IpAddress" or "NotIpAddress" ? Values.Select(Network).ToArray() : null;

    private static System.Net.IPNetwork? Network(string cidr) =>
        System.Net.IPNetwork.TryParse(cidr.Contains('/', StringComparison.Ordinal) ? cidr : cidr + (cidr.Contains(':', StringComparison.Ordinal) ? "/128" : "/32"), out var n)
            ? n : null;
}

public enum ConditionSet { None, ForAnyValue, ForAllValues }
