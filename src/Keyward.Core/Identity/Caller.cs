using Keyward.Protocol;

namespace Keyward.Core.Identity;

/// <summary>
/// One authenticated request as the service sees it: the principal, the operation, and the request
/// facts that key policies and grants are evaluated against (source address, grant tokens, the
/// encryption context of the request).
/// </summary>
internal sealed record Caller(Principal Principal, KmsOperation Operation)
{
    public string AccountId => Principal.AccountId;
    public string Arn => Principal.Arn;
    public string? SourceIp { get; init; }
    public string? UserAgent { get; init; }
    public IReadOnlyList<string>? GrantTokens { get; init; }
    public IReadOnlyDictionary<string, string>? EncryptionContext { get; init; }

    /// <summary>A caller for work the server does on its own behalf (tests, the lifecycle job): the account's root.</summary>
    public static Caller Root(string accountId, KmsOperation operation) => new(Principal.Root(accountId), operation);
}
