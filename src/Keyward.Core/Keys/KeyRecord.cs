namespace Keyward.Core.Keys;

/// <summary>
/// A KMS key as stored. Immutable: a change is a <c>with</c> copy written back with the
/// <see cref="Version"/> it was read at (optimistic concurrency; the store bumps it).
/// KeySpec, KeyUsage and Origin hold the AWS wire names.
/// </summary>
internal sealed record KeyRecord
{
    public required string KeyId { get; init; }
    public required string AccountId { get; init; }
    public required DateTimeOffset CreationDate { get; init; }
    public required string Description { get; init; }
    public required string KeySpec { get; init; }
    public required string KeyUsage { get; init; }
    public required string Origin { get; init; }
    public required KeyState State { get; init; }
    public DateTimeOffset? DeletionDate { get; init; }
    public int? PendingWindowInDays { get; init; }
    /// <summary>The material version new encryptions use; null only while no material exists.</summary>
    public string? CurrentMaterialId { get; init; }
    public required string Policy { get; init; }
    public long Version { get; init; }
}
