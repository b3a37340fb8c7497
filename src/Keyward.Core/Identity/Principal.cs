namespace Keyward.Core.Identity;

/// <summary>An authenticated caller: the account it acts in and its IAM-style ARN.</summary>
internal sealed record Principal(string AccountId, string Arn);
