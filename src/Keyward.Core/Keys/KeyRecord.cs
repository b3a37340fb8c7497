namespace Keyward.Core.Keys;

/// <summary>
/// A KMS key as stored. Immutable: a change is a <c>with</c> copy written back with the
/// <see cref="Version"/> it was read at (optimistic concurrency; the store bumps it).
/// KeySpec, KeyUsage and Origin hold the AWS wire names.
/// </summary>
public sealed record KeyRecord
{
    /// <summary>The key id clients see (a Multi-Region key's replicas share it).</summary>
    public required string KeyId { get; init; }
    public required string AccountId { get; init; }
    /// <summary>The Region the key belongs to: the Region of the requests that see it, and of its ARN.</summary>
    public required string Region { get; init; }

    /// <summary>A Multi-Region key (id <c>mrk-…</c>): the Region of its primary key; null for a single-Region key.</summary>
    public string? PrimaryRegion { get; init; }

    public bool MultiRegion => PrimaryRegion is not null;

    public bool IsReplica => PrimaryRegion is not null && PrimaryRegion != Region;

    /// <summary>The key's row id in storage (<see cref="KeyIds.StorageId"/>): what every storage call names it by.</summary>
    public string StorageId => KeyIds.StorageId(KeyId, Region);

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

    /// <summary>The custom key store that holds the key's material (Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE); null for the default store.</summary>
    public string? CustomKeyStoreId { get; init; }

    /// <summary>Origin EXTERNAL_KEY_STORE: the external key's id at the XKS proxy (immutable; unique within its store).</summary>
    public string? XksKeyId { get; init; }

    // Rotation (symmetric keys). Automatic rotation is on while RotationPeriodInDays is set.
    public int? RotationPeriodInDays { get; init; }
    public DateTimeOffset? NextRotationDate { get; init; }
    /// <summary>Set from RotateKeyOnDemand until the rotation job has completed it.</summary>
    public DateTimeOffset? OnDemandRotationStartDate { get; init; }
    /// <summary>On-demand rotations ever requested (AWS caps them per key).</summary>
    public int OnDemandRotations { get; init; }

    // Imported material (Origin EXTERNAL): the expiration of the current material, for DescribeKey.
    public string? ExpirationModel { get; init; }
    public DateTimeOffset? ValidTo { get; init; }

    public long Version { get; init; }
}
