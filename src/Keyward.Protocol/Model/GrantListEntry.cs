namespace Keyward.Protocol.Model;

public sealed class GrantListEntry
{
    public string? KeyId { get; set; }
    public string? GrantId { get; set; }
    public string? Name { get; set; }
    public DateTimeOffset? CreationDate { get; set; }
    public string? GranteePrincipal { get; set; }
    public string? RetiringPrincipal { get; set; }
    public string? IssuingAccount { get; set; }
    public List<string>? Operations { get; set; }
    public GrantConstraints? Constraints { get; set; }
}

/// <summary>Encryption context constraints of a grant; at most one of the two in practice, both allowed by the model.</summary>
public sealed class GrantConstraints
{
    public Dictionary<string, string>? EncryptionContextSubset { get; set; }
    public Dictionary<string, string>? EncryptionContextEquals { get; set; }
}
