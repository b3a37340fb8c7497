using System.Globalization;

namespace Keyward.Core.Policies;

/// <summary>
/// What a policy is evaluated against: who asks, for which action on which resource, and the
/// values of the condition keys the request carries. Condition key names are case-insensitive,
/// except the context key after "kms:EncryptionContext:", which is case-sensitive as AWS has it.
/// A key the request does not carry is absent (null), which matters to the operators.
/// </summary>
internal sealed class AuthorizationContext
{
    public required string PrincipalArn { get; init; }
    public required string PrincipalAccount { get; init; }
    /// <summary>The kms: action, e.g. "kms:Encrypt" or "kms:ReEncryptFrom".</summary>
    public required string Action { get; init; }
    /// <summary>The key ARN, or "*" for an operation on no key (CreateKey, ListKeys…).</summary>
    public required string Resource { get; init; }
    public required DateTimeOffset Now { get; init; }
    public string? SourceIp { get; init; }
    public IReadOnlyDictionary<string, string>? EncryptionContext { get; init; }
    public string? KeySpec { get; init; }
    public string? KeyUsage { get; init; }
    public string? KeyOrigin { get; init; }
    public string? RequestAlias { get; init; }
    public IReadOnlyList<string>? ResourceAliases { get; init; }
    /// <summary>Keys particular to an operation (kms:GranteePrincipal, kms:EncryptionAlgorithm…).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra { get; init; }

    /// <summary>The values of a condition's key (its lower-case name and context key are computed when the policy is parsed).</summary>
    public IReadOnlyList<string>? Values(PolicyCondition condition)
    {
        var (lowerKey, contextKey) = (condition.LowerKey, condition.ContextKey);
        if (contextKey is not null)
            return EncryptionContext is not null && EncryptionContext.TryGetValue(contextKey, out var v) ? [v] : null;
        switch (lowerKey)
        {
            case "aws:principalarn": return [PrincipalArn];
            case "aws:principalaccount" or "kms:calleraccount": return [PrincipalAccount];
            case "aws:sourceip": return SourceIp is null ? null : [SourceIp];
            case "aws:currenttime": return [Now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)];
            case "aws:epochtime": return [Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)];
            case "aws:securetransport": return null;
            case "kms:encryptioncontextkeys": return EncryptionContext is { Count: > 0 } ec ? ec.Keys.ToList() : null;
            case "kms:keyspec": return KeySpec is null ? null : [KeySpec];
            case "kms:keyusage": return KeyUsage is null ? null : [KeyUsage];
            case "kms:keyorigin": return KeyOrigin is null ? null : [KeyOrigin];
            case "kms:requestalias": return RequestAlias is null ? null : [RequestAlias];
            case "kms:resourcealiases": return ResourceAliases is { Count: > 0 } ? ResourceAliases : null;
            // No AWS service calls Keyward on a user's behalf.
            case "kms:viaservice": return null;
        }
        if (Extra is null) return null;
        foreach (var (k, v) in Extra) if (k.Equals(lowerKey, StringComparison.OrdinalIgnoreCase)) return v;
        return null;
    }
}
