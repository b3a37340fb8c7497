namespace Keyward.Core.Policies;

/// <summary>
/// One statement of a policy document, parsed. Lists are never null; a statement has either
/// <see cref="Principals"/> or <see cref="NotPrincipals"/> (key policies) or neither (identity
/// policies), either Actions or NotActions, either Resources or NotResources.
/// </summary>
internal sealed record PolicyStatement
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
internal sealed record PolicyCondition(string Operator, ConditionSet Set, bool IfExists, string Key, IReadOnlyList<string> Values);

internal enum ConditionSet { None, ForAnyValue, ForAllValues }
