namespace Keyward.Core.Identity;

/// <summary>A SigV4 credential. The secret is never logged or returned by any API.</summary>
public sealed record Credential(string AccessKeyId, string SecretAccessKey, Principal Principal)
{
    public override string ToString() => $"Credential {AccessKeyId} ({Principal.Arn})";
}
