using Keyward.Core.Policies;

namespace Keyward.Core.Identity;

/// <summary>
/// An authenticated identity: the account it acts in, its IAM-style ARN (the account root
/// <c>arn:aws:iam::&lt;account&gt;:root</c>, a user <c>…:user/&lt;name&gt;</c> or a role
/// <c>…:role/&lt;name&gt;</c>), and its identity policies. The root user is allowed everything by
/// identity; like every principal it still needs the key policy.
/// </summary>
public sealed record Principal(string AccountId, string Arn)
{
    public IReadOnlyList<PolicyDocument> Policies { get; init; } = [];

    public bool IsRoot => Arn == RootArn(AccountId);

    public static string RootArn(string accountId) => $"arn:aws:iam::{accountId}:root";

    public static Principal Root(string accountId) => new(accountId, RootArn(accountId));
}
