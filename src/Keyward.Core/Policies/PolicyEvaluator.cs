namespace Keyward.Core.Policies;

/// <summary>How the statements of one policy apply to a request.</summary>
internal readonly record struct PolicyResult(bool ExplicitDeny, bool Allow, bool AllowAccount)
{
    public static readonly PolicyResult None = new(false, false, false);
}

/// <summary>
/// Evaluates one policy document against a request. For a key policy, an Allow statement that
/// names the caller (its ARN, or "*") allows it directly; one that names the caller's account
/// root (when the caller is not the root user) only delegates to the account's identity policies
/// (<see cref="PolicyResult.AllowAccount"/>), which is what AWS's default key policy statement
/// "Enable IAM User Permissions" does. A Deny statement applies to every principal it names,
/// an account root naming every principal of the account.
/// </summary>
internal static class PolicyEvaluator
{
    public static PolicyResult Evaluate(PolicyDocument policy, AuthorizationContext context, bool keyPolicy)
    {
        bool deny = false, allow = false, allowAccount = false;
        foreach (var s in policy.Statements)
        {
            var principal = keyPolicy ? MatchPrincipal(s, context) : PrincipalMatch.Direct;
            if (principal == PrincipalMatch.None) continue;
            if (!MatchAction(s, context.Action) || !MatchResource(s, context.Resource)) continue;
            if (!s.Conditions.All(c => Conditions.Evaluate(c, context))) continue;
            if (!s.Allow) deny = true;
            else if (principal == PrincipalMatch.Direct) allow = true;
            else allowAccount = true;
        }
        return new PolicyResult(deny, allow, allowAccount);
    }

    /// <summary>The statement's first Deny statement that applies, for the AccessDenied message and the audit log.</summary>
    public static string? DenyingSid(PolicyDocument policy, AuthorizationContext context, bool keyPolicy) =>
        policy.Statements.FirstOrDefault(s => !s.Allow && (!keyPolicy || MatchPrincipal(s, context) != PrincipalMatch.None)
            && MatchAction(s, context.Action) && MatchResource(s, context.Resource) && s.Conditions.All(c => Conditions.Evaluate(c, context)))?.Sid;

    private enum PrincipalMatch { None, Direct, Account }

    private static PrincipalMatch MatchPrincipal(PolicyStatement s, AuthorizationContext context)
    {
        if (s.Principals is { } principals) return Best(principals, context);
        // NotPrincipal: applies to everyone not listed (an account root listed excludes only that root user).
        var excluded = s.NotPrincipals!.Any(p => p == "*" || p == context.PrincipalArn);
        return excluded ? PrincipalMatch.None : PrincipalMatch.Direct;
    }

    private static PrincipalMatch Best(IReadOnlyList<string> principals, AuthorizationContext context)
    {
        var accountRoot = $"arn:aws:iam::{context.PrincipalAccount}:root";
        var result = PrincipalMatch.None;
        foreach (var p in principals)
        {
            if (p == "*" || string.Equals(p, context.PrincipalArn, StringComparison.Ordinal)) return PrincipalMatch.Direct;
            if (string.Equals(p, accountRoot, StringComparison.Ordinal)) result = PrincipalMatch.Account;
        }
        return result;
    }

    // Action names are case-insensitive in IAM.
    private static bool MatchAction(PolicyStatement s, string action) => s.Actions is { } actions
        ? actions.Any(a => Wildcard.Match(a, action, ignoreCase: true))
        : !s.NotActions!.Any(a => Wildcard.Match(a, action, ignoreCase: true));

    // In a key policy "*" means "this KMS key"; patterns are matched against the key ARN.
    private static bool MatchResource(PolicyStatement s, string resource) => s.Resources is { } resources
        ? resources.Any(r => r == "*" || Wildcard.Match(r, resource, ignoreCase: false))
        : !s.NotResources!.Any(r => r == "*" || Wildcard.Match(r, resource, ignoreCase: false));
}
