using Keyward.Protocol;

namespace Keyward.Core.Identity;

/// <summary>
/// One authenticated request as the service sees it: the principal, the operation, and the request
/// facts that key policies and grants are evaluated against (source address, grant tokens, the
/// encryption context of the request).
/// </summary>
public sealed record Caller(Principal Principal, KmsOperation Operation)
{
    public string AccountId => Principal.AccountId;
    public string Arn => Principal.Arn;
    /// <summary>The Region the request was signed for (its SigV4 credential scope); null for the server's own work.</summary>
    public string? Region { get; init; }
    public string? SourceIp { get; init; }
    public string? UserAgent { get; init; }
    public IReadOnlyList<string>? GrantTokens { get; init; }
    public IReadOnlyDictionary<string, string>? EncryptionContext { get; init; }
    /// <summary>The access key the request was signed with (not secret; recorded in the audit log).</summary>
    public string? AccessKeyId { get; init; }
    /// <summary>The request's x-amzn-RequestId; also the kmsRequestId of the calls it makes to an XKS proxy.</summary>
    public string? RequestId { get; init; }

    /// <summary>What the audit record needs from the service: the keys the request touched (shared by <c>with</c> copies).</summary>
    public AuditFacts Audit { get; init; } = new();

    /// <summary>A caller for work the server does on its own behalf (tests, the lifecycle job): the account's root.</summary>
    public static Caller Root(string accountId, KmsOperation operation) => new(Principal.Root(accountId), operation);
}

/// <summary>The keys one request touched, in the order it touched them (for the audit record's resources).</summary>
public sealed class AuditFacts
{
    private readonly List<string> _keyArns = [];

    public IReadOnlyList<string> KeyArns => _keyArns;

    public void Touch(string keyArn)
    {
        if (!_keyArns.Contains(keyArn)) _keyArns.Add(keyArn);
    }
}
