namespace Keyward.Core.Keys;

/// <summary>
/// A grant as stored: who (<see cref="GranteePrincipal"/>) may perform which operations on one KMS key,
/// under which encryption context constraints, until it is retired or revoked. Operations hold AWS's
/// GrantOperation names. Constraint contexts compare keys case-insensitively and values exactly (AWS).
/// </summary>
public sealed record GrantRecord
{
    public required string GrantId { get; init; }
    public required string KeyId { get; init; }
    public required string Name { get; init; }
    public required string GranteePrincipal { get; init; }
    public string? RetiringPrincipal { get; init; }
    /// <summary>The account root ARN of the principal that created the grant.</summary>
    public required string IssuingAccount { get; init; }
    public required IReadOnlyList<string> Operations { get; init; }
    public IReadOnlyDictionary<string, string>? EncryptionContextSubset { get; init; }
    public IReadOnlyDictionary<string, string>? EncryptionContextEquals { get; init; }
    public required DateTimeOffset CreationDate { get; init; }
}
