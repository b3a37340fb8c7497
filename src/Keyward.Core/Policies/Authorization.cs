using Keyward.Core.Identity;

namespace Keyward.Core.Policies;

/// <summary>The outcome of authorizing one action; anything but Allow is AccessDeniedException (unless a grant allows it).</summary>
internal enum AccessDecision
{
    Allow,
    ExplicitDenyInKeyPolicy,
    ExplicitDenyInIdentityPolicy,
    NoKeyPolicyAllows,
    NoIdentityPolicyAllows,
}

/// <summary>
/// AWS KMS's evaluation (developer guide, "Determining access to a KMS key"): an explicit Deny in the
/// key policy or in the caller's identity policies wins; otherwise the key policy must allow the
/// caller, either directly (its ARN, or "*") or by allowing the caller's account, in which case an
/// identity policy of the caller must allow it too. A caller from another account always needs both:
/// the key policy allowing it (or its account) and its own identity policy. The root user's identity
/// allows everything; it too needs the key policy. For operations on no key (CreateKey, ListKeys…)
/// only identity policies count.
/// </summary>
internal static class Authorization
{
    public static AccessDecision Decide(Principal principal, string? keyAccount, PolicyDocument? keyPolicy, AuthorizationContext context)
    {
        var key = keyPolicy is null ? PolicyResult.None : PolicyEvaluator.Evaluate(keyPolicy, context, keyPolicy: true);
        var identityAllow = principal.IsRoot;
        var identityDeny = false;
        foreach (var p in principal.Policies)
        {
            var r = PolicyEvaluator.Evaluate(p, context, keyPolicy: false);
            identityAllow |= r.Allow;
            identityDeny |= r.ExplicitDeny;
        }
        if (key.ExplicitDeny) return AccessDecision.ExplicitDenyInKeyPolicy;
        if (identityDeny) return AccessDecision.ExplicitDenyInIdentityPolicy;
        if (keyPolicy is null) return identityAllow ? AccessDecision.Allow : AccessDecision.NoIdentityPolicyAllows;
        if (principal.AccountId == keyAccount && key.Allow) return AccessDecision.Allow;
        if (!key.Allow && !key.AllowAccount) return AccessDecision.NoKeyPolicyAllows;
        return identityAllow ? AccessDecision.Allow : AccessDecision.NoIdentityPolicyAllows;
    }

    /// <summary>AWS's AccessDeniedException text for a decision.</summary>
    public static string Message(AccessDecision decision, string principalArn, string action, string resource)
    {
        var head = $"User: {principalArn} is not authorized to perform: {action} on resource: {resource}";
        return decision switch
        {
            AccessDecision.ExplicitDenyInKeyPolicy => $"{head} with an explicit deny in a resource-based policy",
            AccessDecision.ExplicitDenyInIdentityPolicy => $"{head} with an explicit deny in an identity-based policy",
            AccessDecision.NoIdentityPolicyAllows => $"{head} because no identity-based policy allows the {action} action",
            _ => $"{head} because no resource-based policy allows the {action} action",
        };
    }
}
