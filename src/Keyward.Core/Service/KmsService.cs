using Keyward.Core.Crypto;
using Keyward.Core.Identity;
using Keyward.Core.Import;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;
using Keyward.Core.Storage;
using Keyward.Protocol.Model;

namespace Keyward.Core.Service;

/// <summary>
/// The KMS operations. Requests arrive validated against the model's constraints (lengths,
/// ranges, enums); the service applies the semantic rules: key resolution, key state, key
/// usage, and AWS's cross-member rules. One partial file per group of operations.
/// </summary>
public sealed partial class KmsService(IKmsStorage storage, IKeyStore keyStore, RootKeyBarrier barrier, KmsOptions options, TimeProvider clock,
    IHsmClusters? hsmClusterConfiguration = null, IXksProxies? xksProxyClients = null, RequestQuotas? requestQuotas = null,
    KeyPairGeneration? keyPairGeneration = null) : IDisposable
{
    private readonly RequestQuotas _quotas = requestQuotas ?? new RequestQuotas(RequestQuotaOptions.Off);
    private readonly KeyPairGeneration _keyPairs = keyPairGeneration ?? KeyPairGeneration.ForThisMachine();

    /// <summary>Key record lookups answered by the cache, and those that read storage.</summary>
    public (long Hits, long Misses) KeyCacheLookups => _cache.KeyLookups;

    /// <summary>Every custom key store this node knows and whether it is connected here (ids only: names are the caller's).</summary>
    public IReadOnlyList<(string StoreId, bool Connected)> CustomKeyStoreStates() =>
        [.. _stores.RecordIds().Union(_stores.ConnectedIds()).Order(StringComparer.Ordinal).Select(id => (id, _stores.IsConnected(id)))];

    /// <summary>RSA key pair generation, bounded (tests read its peak).</summary>
    public KeyPairGeneration KeyPairs => _keyPairs;

    /// <summary>
    /// Charges a request to its operation's quota before it runs (throws ThrottlingException past it). Cryptographic
    /// operations are charged instead to their key's shared quota, when the key is resolved.
    /// </summary>
    public void ChargeRequest(Caller caller) => _quotas.ChargeOperation(caller);

    private readonly IXksProxies xksProxies = xksProxyClients ?? IXksProxies.None;
    private readonly KeyCache _cache = new(TimeProvider.System);
    private readonly ImportWrappingKeys imports = new(barrier);
    private readonly IHsmClusters hsmClusters = hsmClusterConfiguration ?? IHsmClusters.None;
    private readonly CustomKeyStoreConnections _stores = new();

    public void Dispose()
    {
        _stores.Dispose();
        (xksProxies as IDisposable)?.Dispose();
    }

    private DateTimeOffset Now()
    {
        // Millisecond precision, as stored and as AWS reports timestamps.
        var now = clock.GetUtcNow();
        return DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
    }

    private string Arn(KeyRecord key) => options.KeyArn(key.Region, key.AccountId, key.KeyId);

    /// <summary>The Region a request is in: the one it was signed for, or the home Region for the server's own work.</summary>
    private string RegionOf(Caller caller) => caller.Region ?? options.Region;

    /// <summary>
    /// Finds the key a KeyId member names: key id, key ARN, and (when <paramref name="allowAlias"/>)
    /// alias name or alias ARN, within the caller's account and Region.
    /// </summary>
    /// <param name="fresh">Read from storage, not the cache (a read that precedes a write).</param>
    /// <param name="action">The kms: action to authorize on the key; the caller's operation when null.</param>
    private async ValueTask<KeyRecord> ResolveKeyAsync(Caller caller, string keyId, bool allowAlias, CancellationToken ct, bool fresh = false,
        string? action = null, Func<GrantRecord, bool>? grantCondition = null)
    {
        var (key, alias) = await FindKeyAsync(caller, keyId, allowAlias, fresh, ct);
        await AuthorizeKeyAsync(caller, key, action ?? ActionOf(caller), alias, ct, grantCondition);
        return key;
    }

    /// <summary>
    /// The key a KeyId member names, without authorizing the caller (<see cref="ResolveKeyAsync"/> does), and the
    /// alias it was named by, if any.
    /// </summary>
    private async ValueTask<(KeyRecord Key, string? Alias)> FindKeyAsync(Caller caller, string keyId, bool allowAlias, bool fresh, CancellationToken ct)
    {
        string id;
        string? alias = null;
        string account = caller.AccountId;
        var region = RegionOf(caller);
        if (keyId.StartsWith("arn:", StringComparison.Ordinal))
        {
            // arn:<partition>:kms:<region>:<account>:key/<id> | alias/<name>
            var parts = keyId.Split(':', 6);
            if (parts.Length != 6 || parts[2] != "kms" || parts[1].Length == 0 || parts[4].Length == 0)
                throw Faults.InvalidArn(keyId);
            account = parts[4];
            var resource = parts[5];
            var foreign = parts[1] != options.Partition || parts[3] != region;
            if (resource.StartsWith("key/", StringComparison.Ordinal))
            {
                id = resource[4..];
                if (!KeyIds.IsKeyId(id)) throw Faults.InvalidKeyId(keyId);
                // AWS's recorded answer for a key ARN of another region (LocalStack's test_get_key_in_different_region).
                if (foreign) throw Keyward.Protocol.Errors.KmsException.NotFound($"Invalid arn {parts[3]}");
            }
            else if (resource.StartsWith("alias/", StringComparison.Ordinal) && allowAlias)
            {
                if (foreign) throw Faults.AliasNotFound(keyId);
                alias = resource;
                id = await AliasTargetAsync(account, region, resource, ct);
            }
            else throw Faults.InvalidArn(keyId);
        }
        else if (keyId.StartsWith("alias/", StringComparison.Ordinal) && allowAlias)
        {
            alias = keyId;
            id = await AliasTargetAsync(account, region, keyId, ct);
        }
        else if (KeyIds.IsKeyId(keyId))
        {
            id = keyId;
        }
        else throw Faults.InvalidKeyId(keyId);

        // An alias names its target by storage id already; a key id is this Region's key of that id.
        if (alias is null) id = KeyIds.StorageId(id.ToLowerInvariant(), region);
        var key = await GetKeyAsync(id, fresh, ct);
        // A key of another account is reached only by its ARN (or an alias ARN), and only if its key policy allows the caller.
        // A single-Region key is seen only in its own Region.
        if (key is null || key.AccountId != account || key.Region != region)
            throw Faults.KeyNotFound(options.KeyArn(region, account, KeyIds.PublicId(id)));
        return (key, alias);
    }

    /// <summary>A key record by storage id, from the cache unless <paramref name="fresh"/>; a storage read refills the cache.</summary>
    private async ValueTask<KeyRecord?> GetKeyAsync(string storageId, bool fresh, CancellationToken ct)
    {
        if (!fresh && _cache.GetKey(storageId) is { } cached) return cached;
        var key = await storage.GetKeyAsync(storageId, ct);
        if (key is not null) _cache.PutKey(key);
        return key;
    }

    /// <summary>The storage id of the key an alias names.</summary>
    private async ValueTask<string> AliasTargetAsync(string account, string region, string aliasName, CancellationToken ct)
    {
        if (_cache.GetAlias(account, region, aliasName) is { } cached) return cached;
        var alias = await storage.GetAliasAsync(account, region, aliasName, ct)
                    ?? throw Faults.AliasNotFound(options.AliasArn(region, account, aliasName));
        _cache.PutAlias(account, region, aliasName, alias.TargetKeyId);
        return alias.TargetKeyId;
    }

    /// <summary>A material version of the key stored as <paramref name="keyId"/>, from the cache when possible (versions never change).</summary>
    private async ValueTask<MaterialRecord?> GetMaterialAsync(string keyId, string materialId, CancellationToken ct)
    {
        if (_cache.GetMaterial(keyId, materialId) is { } cached) return cached;
        var material = await storage.GetMaterialAsync(keyId, materialId, ct);
        if (material is not null) _cache.PutMaterial(material);
        return material;
    }

    /// <summary>
    /// Reads the key, applies <paramref name="change"/> (which checks state and may throw), and
    /// writes it with optimistic concurrency, retrying on a concurrent change.
    /// </summary>
    private ValueTask<KeyRecord> ChangeKeyAsync(Caller caller, string keyId, Func<KeyRecord, KeyRecord> change, CancellationToken ct) =>
        RetryOnConflictAsync(async () =>
        {
            var current = await ResolveKeyAsync(caller, keyId, allowAlias: false, ct, fresh: true);
            var next = change(current);
            if (ReferenceEquals(next, current)) return current;
            return await WriteKeyAsync(next, [], [], ct);
        }, ct);

    private const int ConflictAttempts = 32;

    /// <summary>
    /// Runs one optimistic read-change-write <paramref name="attempt"/> (null: a concurrent writer won) until it
    /// succeeds. Between attempts it waits a short random time that grows with each attempt (at most ~130 ms), so
    /// writers contending for one row, on one node or on several, spread out instead of colliding again.
    /// </summary>
    private static async ValueTask<T> RetryOnConflictAsync<T>(Func<ValueTask<T?>> attempt, CancellationToken ct) where T : class
    {
        for (var i = 0; i < ConflictAttempts; i++)
        {
            if (await attempt() is { } done) return done;
            await Task.Delay(Random.Shared.Next(1, 2 + (4 << Math.Min(i, 5))), ct);
        }
        throw Faults.Internal();
    }

    /// <summary>
    /// Writes a key with optimistic concurrency, together with changed and removed material
    /// versions, and refreshes the cache with what was written. Null on a concurrent change.
    /// </summary>
    private ValueTask<KeyRecord?> WriteKeyAsync(KeyRecord key, IReadOnlyList<MaterialRecord> materials, IReadOnlyList<string> removeMaterialIds,
        CancellationToken ct) =>
        key.MultiRegion && !key.IsReplica
            ? WriteMultiRegionAsync(key, materials, removeMaterialIds, ct) // its replicas take its shared properties with it
            : WriteOneKeyAsync(key, materials, removeMaterialIds, ct);

    private async ValueTask<KeyRecord?> WriteOneKeyAsync(KeyRecord key, IReadOnlyList<MaterialRecord> materials, IReadOnlyList<string> removeMaterialIds,
        CancellationToken ct)
    {
        var stored = await storage.UpdateKeyAsync(key, materials, removeMaterialIds, ct);
        if (stored is null) return null;
        _cache.PutKey(stored);
        foreach (var material in materials) _cache.PutMaterial(material);
        return stored;
    }

    private KeyMetadata ToMetadata(KeyRecord key)
    {
        var spec = Spec(key);
        // While a key's custom key store is not connected (on this node) AWS reports the key Unavailable, unless it is
        // pending deletion; the stored state (Enabled, Disabled) shows again once the store is connected.
        var state = key.State is KeyState.Enabled or KeyState.Disabled && key.CustomKeyStoreId is { } storeId && !_stores.IsConnected(storeId)
            ? KeyState.Unavailable
            : key.State;
        return new KeyMetadata
        {
            AWSAccountId = key.AccountId,
            KeyId = key.KeyId,
            Arn = Arn(key),
            CreationDate = key.CreationDate,
            Enabled = state == KeyState.Enabled,
            Description = key.Description,
            KeyUsage = key.KeyUsage,
            KeyState = state.ToString(),
            DeletionDate = key.State == KeyState.PendingDeletion ? key.DeletionDate : null,
            PendingDeletionWindowInDays = key.State is KeyState.PendingDeletion or KeyState.PendingReplicaDeletion ? key.PendingWindowInDays : null,
            Origin = key.Origin,
            ExpirationModel = key.ExpirationModel,
            ValidTo = key.ValidTo,
            KeyManager = "CUSTOMER",
            CustomerMasterKeySpec = key.KeySpec,
            KeySpec = key.KeySpec,
            EncryptionAlgorithms = spec.EncryptionAlgorithms(key.KeyUsage),
            SigningAlgorithms = spec.SigningAlgorithms(key.KeyUsage),
            MacAlgorithms = spec.MacAlgorithms(key.KeyUsage),
            KeyAgreementAlgorithms = spec.KeyAgreementAlgorithms(key.KeyUsage),
            EncapsulationAlgorithms = spec.EncapsulationAlgorithms(key.KeyUsage),
            MultiRegion = key.MultiRegion,
            CustomKeyStoreId = key.CustomKeyStoreId,
            CloudHsmClusterId = key.CustomKeyStoreId is { } store ? _stores.Record(store)?.CloudHsmClusterId : null,
            XksKeyConfiguration = key.XksKeyId is { } xksKeyId ? new XksKeyConfiguration { Id = xksKeyId } : null,
            // AWS reports a material id only for symmetric encryption keys.
            CurrentKeyMaterialId = spec.Family == KeyFamily.Symmetric ? key.CurrentMaterialId : null,
        };
    }

    private const int DueBatch = 100;

    /// <summary>
    /// The lifecycle job's loop: lists due items in batches and acts on each, until a batch is short
    /// or nothing in it could be done (an item that changed meanwhile waits for the next pass).
    /// Returns how many items were acted on.
    /// </summary>
    private static async ValueTask<int> DrainAsync<T>(Func<ValueTask<IReadOnlyList<T>>> listDue, Func<T, ValueTask<bool>> act)
    {
        var done = 0;
        while (true)
        {
            var due = await listDue();
            var progressed = false;
            foreach (var item in due)
            {
                if (!await act(item)) continue;
                done++;
                progressed = true;
            }
            if (due.Count < DueBatch || !progressed) return done;
        }
    }

    /// <summary>The spec of a stored key; a spec this build does not know means the row is not ours.</summary>
    private static KeySpecInfo Spec(KeyRecord key) => KeySpecInfo.Find(key.KeySpec) ?? throw Faults.Internal();
}
