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
            if (!Conditions.All(s.Conditions, context)) continue;
            if (!s.Allow) deny = true;
            else if (principal == PrincipalMatch.Direct) allow = true;
            else allowAccount = true;
        }
        return new PolicyResult(deny, allow, allowAccount);
    }

    /// <summary>The statement's first Deny statement that applies, for the AccessDenied message and the audit log.</summary>
    public static string? DenyingSid(PolicyDocument policy, AuthorizationContext context, bool keyPolicy) =>
        policy.Statements.FirstOrDefault(s => !s.Allow && (!keyPolicy || MatchPrincipal(s, context) != PrincipalMatch.None)
            && MatchAction(s, context.Action) && MatchResource(s, context.Resource) && Conditions.All(s.Conditions, context))?.Sid;

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
        var result = PrincipalMatch.None;
        for (var i = 0; i < principals.Count; i++)
        {
            var p = principals[i];
            if (p == "*" || string.Equals(p, context.PrincipalArn, StringComparison.Ordinal)) return PrincipalMatch.Direct;
            if (IsAccountRoot(p, context.PrincipalAccount)) result = PrincipalMatch.Account;
        }
        return result;
    }

    /// <summary>Whether <paramref name="principal"/> is arn:aws:iam::<paramref name="account"/>:root.</summary>
    private static bool IsAccountRoot(string principal, string account)
    {
        const string head = "arn:aws:iam::", tail = ":root";
        return principal.Length == head.Length + account.Length + tail.Length
            && principal.StartsWith(head, StringComparison.Ordinal) && principal.EndsWith(tail, StringComparison.Ordinal)
            && principal.AsSpan(head.Length, account.Length).SequenceEqual(account);
    }

    // Action names are case-insensitive in IAM.
    private static bool MatchAction(PolicyStatement s, string action) => s.Actions is { } actions
        ? AnyMatches(actions, action, ignoreCase: true)
        : !AnyMatches(s.NotActions!, action, ignoreCase: true);

    // In a key policy "*" means "this KMS key"; patterns are matched against the key ARN.
    private static bool MatchResource(PolicyStatement s, string resource) => s.Resources is { } resources
        ? AnyMatches(resources, resource, ignoreCase: false)
        : !AnyMatches(s.NotResources!, resource, ignoreCase: false);

    private static bool AnyMatches(IReadOnlyList<string> patterns, string value, bool ignoreCase)
    {
        for (var i = 0; i < patterns.Count; i++)
            if (patterns[i] == "*" || Wildcard.Match(patterns[i], value, ignoreCase)) return true;
        return false;
    }
}
