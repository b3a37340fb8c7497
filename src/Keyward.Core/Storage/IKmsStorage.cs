using Keyward.Core.Import;
using Keyward.Core.Keys;

namespace Keyward.Core.Storage;

/// <summary>
/// The typed storage of a Keyward deployment (SQLite embedded, PostgreSQL for several nodes).
/// Every write is durable before it returns. Keys are updated with optimistic concurrency:
/// <see cref="UpdateKeyAsync"/> succeeds only if the row still has the version it was read at.
/// Deleting a key removes its material versions, aliases and tags with it, atomically.
/// </summary>
public interface IKmsStorage : IDisposable
{
    /// <summary>Applies pending migrations. Idempotent.</summary>
    ValueTask MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Puts keys, aliases and custom key stores written before Keyward knew Regions (Region '') in
    /// <paramref name="region"/>, the Region they were created in (the server's one Region then). Idempotent.
    /// </summary>
    ValueTask AdoptRegionlessRowsAsync(string region, CancellationToken cancellationToken = default);

    ValueTask<byte[]?> GetSettingAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stores a setting only if absent; returns the value now stored.</summary>
    ValueTask<byte[]> GetOrAddSettingAsync(string name, byte[] value, CancellationToken cancellationToken = default);

    // Keys and material.

    /// <summary>Creates the key, its first material version (if any) and its tags in one transaction.</summary>
    ValueTask CreateKeyAsync(KeyRecord key, MaterialRecord? material, IReadOnlyList<TagRecord> tags, CancellationToken cancellationToken = default);

    // Every key id a storage call takes or a record of a key's belongings holds (material, alias target, tag, grant,
    // import parameters) is the key's storage id (KeyRecord.StorageId).

    ValueTask<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Every Region's key of the Multi-Region key <paramref name="keyId"/> (the id its replicas share), by storage id.</summary>
    ValueTask<IReadOnlyList<KeyRecord>> ListMultiRegionKeysAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>How many keys there are in each state, over every account (/metrics).</summary>
    ValueTask<IReadOnlyDictionary<string, int>> CountKeysByStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Keys of an account in a Region ordered by storage id, starting after <paramref name="afterKeyId"/>.</summary>
    ValueTask<IReadOnlyList<KeyRecord>> ListKeysAsync(string accountId, string region, string? afterKeyId, int limit,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="key"/> if the stored version equals <c>key.Version</c> and returns the stored record with
    /// its new version, or null on a conflict. In the same transaction (only if the key was written) it inserts or
    /// rewrites <paramref name="materials"/> (a new one with Sequence 0 gets the key's next sequence number) and
    /// removes the material versions <paramref name="removeMaterialIds"/>.
    /// </summary>
    ValueTask<KeyRecord?> UpdateKeyAsync(KeyRecord key, IReadOnlyList<MaterialRecord> materials, IReadOnlyList<string> removeMaterialIds,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="UpdateKeyAsync"/> for several keys in one transaction, all or none (the Regions of a Multi-Region
    /// key, kept in step): the stored records in order, or null if any key's version had changed.
    /// </summary>
    ValueTask<IReadOnlyList<KeyRecord>?> UpdateKeysAsync(IReadOnlyList<KeyUpdate> updates, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a key with its material versions (Sequence kept as given) and tags, in one transaction; false if a key with
    /// its storage id exists (a Multi-Region key's replica in that Region).
    /// </summary>
    ValueTask<bool> CreateReplicaKeyAsync(KeyRecord key, IReadOnlyList<MaterialRecord> materials, IReadOnlyList<TagRecord> tags,
        CancellationToken cancellationToken = default);

    ValueTask<MaterialRecord?> GetMaterialAsync(string keyId, string materialId, CancellationToken cancellationToken = default);

    /// <summary>A key's material versions in sequence order, after <paramref name="afterSequence"/>.</summary>
    ValueTask<IReadOnlyList<MaterialRecord>> ListMaterialsAsync(string keyId, int afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>Enabled keys (not Multi-Region replicas) whose automatic rotation date has come, or with an on-demand rotation under way.</summary>
    ValueTask<IReadOnlyList<KeyRecord>> ListKeysDueForRotationAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>Imported material versions that still hold their secret and whose ValidTo is at or before <paramref name="now"/>.</summary>
    ValueTask<IReadOnlyList<MaterialRecord>> ListMaterialsDueForExpiryAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    // Import (BYOK) wrapping key pairs.

    ValueTask CreateImportParametersAsync(ImportParametersRecord record, CancellationToken cancellationToken = default);

    ValueTask<ImportParametersRecord?> GetImportParametersAsync(string tokenId, CancellationToken cancellationToken = default);

    /// <summary>Deletes wrapping key pairs whose validity has ended; returns how many.</summary>
    ValueTask<int> DeleteExpiredImportParametersAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Keys in PendingDeletion whose deletion date is at or before <paramref name="now"/>.</summary>
    ValueTask<IReadOnlyList<KeyRecord>> ListKeysDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>Deletes the key and everything that belongs to it if it still has the given version; false otherwise.</summary>
    ValueTask<bool> DeleteKeyAsync(string keyId, long expectedVersion, CancellationToken cancellationToken = default);

    // Custom key stores.

    /// <summary>False if the name is taken in the account and Region.</summary>
    ValueTask<bool> CreateCustomKeyStoreAsync(CustomKeyStoreRecord store, CancellationToken cancellationToken = default);

    ValueTask<CustomKeyStoreRecord?> GetCustomKeyStoreAsync(string customKeyStoreId, CancellationToken cancellationToken = default);

    /// <summary>The custom key stores of an account (of every account when null), ordered by id.</summary>
    ValueTask<IReadOnlyList<CustomKeyStoreRecord>> ListCustomKeyStoresAsync(string? accountId, CancellationToken cancellationToken = default);

    /// <summary>Writes the store if its version is unchanged and its name is still free; null otherwise.</summary>
    ValueTask<CustomKeyStoreRecord?> UpdateCustomKeyStoreAsync(CustomKeyStoreRecord store, CancellationToken cancellationToken = default);

    /// <summary>Deletes the store if its version is unchanged and no key belongs to it; false otherwise.</summary>
    ValueTask<bool> DeleteCustomKeyStoreAsync(string customKeyStoreId, long expectedVersion, CancellationToken cancellationToken = default);

    ValueTask<int> CountKeysInCustomKeyStoreAsync(string customKeyStoreId, CancellationToken cancellationToken = default);

    // Seal migration.

    /// <summary>
    /// Every value sealed by the root key barrier: software-store key material, import wrapping keys,
    /// custom key store passwords, and the seal check value.
    /// </summary>
    ValueTask<IReadOnlyList<SealedValue>> ListSealedValuesAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes re-sealed values back, all in one transaction.</summary>
    ValueTask ReplaceSealedValuesAsync(IReadOnlyList<SealedValue> values, CancellationToken cancellationToken = default);

    // Aliases.

    // Aliases are unique by name within an account and Region.

    ValueTask<AliasRecord?> GetAliasAsync(string accountId, string region, string aliasName, CancellationToken cancellationToken = default);

    /// <summary>False if the alias name is taken in the account and Region.</summary>
    ValueTask<bool> CreateAliasAsync(AliasRecord alias, CancellationToken cancellationToken = default);

    /// <summary>False if the alias does not exist.</summary>
    ValueTask<bool> UpdateAliasAsync(string accountId, string region, string aliasName, string targetKeyId, DateTimeOffset now,
        CancellationToken cancellationToken = default);

    ValueTask<bool> DeleteAliasAsync(string accountId, string region, string aliasName, CancellationToken cancellationToken = default);

    /// <summary>Aliases ordered by name after <paramref name="afterAliasName"/>, optionally of one key only.</summary>
    ValueTask<IReadOnlyList<AliasRecord>> ListAliasesAsync(string accountId, string region, string? targetKeyId, string? afterAliasName, int limit,
        CancellationToken cancellationToken = default);

    // Tags.

    ValueTask<IReadOnlyList<TagRecord>> ListTagsAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>Adds or overwrites tags, then removes <paramref name="removeKeys"/>, in one transaction.</summary>
    ValueTask ChangeTagsAsync(string keyId, IReadOnlyList<TagRecord> upsert, IReadOnlyList<string> removeKeys, CancellationToken cancellationToken = default);

    // Grants (removed with their key).

    ValueTask CreateGrantAsync(GrantRecord grant, CancellationToken cancellationToken = default);

    ValueTask<GrantRecord?> GetGrantAsync(string grantId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Grants of a key ordered by grant id, after <paramref name="afterGrantId"/>, at most <paramref name="limit"/>; only
    /// those of <paramref name="granteePrincipal"/> and with id <paramref name="grantId"/> when given (filtered by the database).
    /// </summary>
    ValueTask<IReadOnlyList<GrantRecord>> ListGrantsAsync(string keyId, string? afterGrantId, int limit, string? granteePrincipal = null,
        string? grantId = null, CancellationToken cancellationToken = default);

    /// <summary>How many grants the key has (only those of <paramref name="granteePrincipal"/> when given).</summary>
    ValueTask<int> CountGrantsAsync(string keyId, string? granteePrincipal = null, CancellationToken cancellationToken = default);

    /// <summary>Grants whose retiring principal is <paramref name="retiringPrincipal"/>, ordered by grant id.</summary>
    ValueTask<IReadOnlyList<GrantRecord>> ListRetirableGrantsAsync(string retiringPrincipal, string? afterGrantId, int limit, CancellationToken cancellationToken = default);

    /// <summary>False if there was no such grant of that key.</summary>
    ValueTask<bool> DeleteGrantAsync(string keyId, string grantId, CancellationToken cancellationToken = default);

    // Audit log.

    /// <summary>
    /// Appends events to the hash chain in one transaction (in order, after the last stored event, under a lock
    /// that serializes appenders across nodes), records the successful key uses among them, and records in the
    /// same transaction that the node's audit journal <paramref name="journalId"/> is indexed up to <paramref name="journalOffset"/>.
    /// With no events it records only the offset (the journal's lines up to it were kept aside as unreadable).
    /// </summary>
    ValueTask AppendAuditEventsAsync(IReadOnlyList<Audit.AuditEvent> events, string journalId, long journalOffset, CancellationToken cancellationToken = default);

    /// <summary>Stored events in sequence order after <paramref name="afterSequence"/>.</summary>
    ValueTask<IReadOnlyList<Audit.AuditRecord>> ReadAuditEventsAsync(long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>One page of stored events matching <paramref name="lookup"/>, in descending sequence order.</summary>
    ValueTask<IReadOnlyList<Audit.AuditRecord>> LookupAuditEventsAsync(Audit.AuditLookup lookup, CancellationToken cancellationToken = default);

    ValueTask<Audit.KeyUsageRecord?> GetKeyLastUsageAsync(string keyArn, CancellationToken cancellationToken = default);

    // Background job leases: one node at a time runs a job; a dead node's lease expires.

    /// <summary>
    /// Takes or renews the lease <paramref name="name"/> for <paramref name="owner"/> until now + <paramref name="duration"/>;
    /// true if <paramref name="owner"/> holds it afterwards (it was free, expired, or already its own).
    /// </summary>
    ValueTask<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Gives the lease up if <paramref name="owner"/> holds it.</summary>
    ValueTask ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default);
}

/// <summary>One key's write in <see cref="IKmsStorage.UpdateKeysAsync"/>.</summary>
public sealed record KeyUpdate(KeyRecord Key, IReadOnlyList<MaterialRecord> Materials, IReadOnlyList<string> RemoveMaterialIds);
