using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Core.Storage;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Model;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

/// <summary>
/// Multi-Region keys (AWS Developer Guide, "Multi-Region keys"): one key id (<c>mrk-…</c>) in several Regions, each
/// Region's key a row of its own (<see cref="KeyRecord.StorageId"/>). The primary is the source of the shared
/// properties: key spec, usage and origin (fixed at creation), and the material versions and automatic rotation,
/// which every write of the primary copies to its replicas in the same transaction. Policy, description, tags,
/// aliases, grants and key state stay each Region's own. Imported material is imported into each key separately;
/// its material id is derived from the key id and the material, so it must be the same material.
/// </summary>
public sealed partial class KmsService
{
    public async ValueTask<ReplicateKeyResponse> ReplicateKeyAsync(Caller caller, ReplicateKeyRequest request, CancellationToken ct)
    {
        var primary = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct, fresh: true);
        RequirePrimary(primary);
        if (primary.State is not (KeyState.Enabled or KeyState.PendingImport)) throw Faults.WrongState(Arn(primary), primary.State);
        var region = request.ReplicaRegion!;
        if (!options.Serves(region))
            throw Faults.Unsupported($"Region {region} is not served by this deployment; it serves {string.Join(", ", options.Regions)}.");
        var replicaArn = options.KeyArn(region, primary.AccountId, primary.KeyId);
        // AWS: kms:CreateKey (and kms:TagResource for tags) in an identity policy, for the replica's Region.
        AuthorizeIdentity(caller.Principal, "kms:CreateKey", caller.SourceIp, primary.KeySpec, primary.KeyUsage, primary.Origin);
        if (request.Tags is { Count: > 0 }) AuthorizeIdentity(caller.Principal, "kms:TagResource", caller.SourceIp);
        var tags = CheckTags(request.Tags ?? [], existing: []);
        var policy = request.Policy is null
            ? KeyPolicies.Default(options.Partition, primary.AccountId)
            : CheckNewPolicy(caller, request.Policy, primary.AccountId, replicaArn, request.BypassPolicyLockoutSafetyCheck == true);
        if ((await storage.ListMultiRegionKeysAsync(primary.KeyId, ct)).Any(k => k.Region == region))
            throw ReplicaExists(replicaArn);

        var imported = primary.Origin == Origins.External;
        var replica = Shared(primary, new KeyRecord
        {
            KeyId = primary.KeyId,
            AccountId = primary.AccountId,
            Region = region,
            PrimaryRegion = primary.Region,
            CreationDate = Now(),
            Description = request.Description ?? string.Empty,
            KeySpec = primary.KeySpec,
            KeyUsage = primary.KeyUsage,
            Origin = primary.Origin,
            // AWS: a replica of a key with imported material has none until the same material is imported into it.
            State = imported ? KeyState.PendingImport : KeyState.Enabled,
            CurrentMaterialId = primary.CurrentMaterialId,
            Policy = policy,
            Version = 1,
        });
        var materials = await AllMaterialsAsync(primary.StorageId, ct);
        var copies = materials.Select(m => imported
            ? m with { KeyId = replica.StorageId, Wrapped = null, ExpirationModel = null, ValidTo = null }
            : keyStore.CopyMaterial(m, replica.StorageId)).ToList();
        if (!await storage.CreateReplicaKeyAsync(replica, copies, tags, ct)) throw ReplicaExists(replicaArn);
        caller.Audit.Touch(replicaArn);
        _cache.PutKey(replica);
        return new ReplicateKeyResponse
        {
            ReplicaKeyMetadata = await DescribeAsync(replica, ct),
            ReplicaPolicy = policy,
            ReplicaTags = [.. tags.Select(t => new Tag { TagKey = t.TagKey, TagValue = t.TagValue })],
        };
    }

    public async ValueTask UpdatePrimaryRegionAsync(Caller caller, UpdatePrimaryRegionRequest request, CancellationToken ct)
    {
        var region = request.PrimaryRegion!;
        await RetryOnConflictAsync(async () =>
        {
            var primary = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct, fresh: true);
            RequirePrimary(primary);
            RequireUpdatable(primary);
            var family = await storage.ListMultiRegionKeysAsync(primary.KeyId, ct);
            if (region == primary.Region) return primary; // already the primary: nothing to change
            var next = family.FirstOrDefault(k => k.Region == region)
                       ?? throw KmsException.NotFound($"The multi-Region key {primary.KeyId} has no replica in Region {region}.");
            // AWS: kms:UpdatePrimaryRegion on the replica too, by its own key policy.
            await AuthorizeKeyAsync(caller with { Region = region }, next, "kms:UpdatePrimaryRegion", null, ct);
            RequireUpdatable(next);
            var updates = family.Select(k => new KeyUpdate(k with { PrimaryRegion = region }, [], [])).ToList();
            var stored = await storage.UpdateKeysAsync(updates, ct);
            if (stored is null) return null;
            foreach (var k in stored) _cache.PutKey(k);
            return primary;
        }, ct);
    }

    /// <summary>DescribeKey's metadata, with a Multi-Region key's primary and replicas.</summary>
    private async ValueTask<KeyMetadata> DescribeAsync(KeyRecord key, CancellationToken ct)
    {
        var metadata = ToMetadata(key);
        if (!key.MultiRegion) return metadata;
        var family = await storage.ListMultiRegionKeysAsync(key.KeyId, ct);
        MultiRegionKey Entry(KeyRecord k) => new() { Arn = Arn(k), Region = k.Region };
        metadata.MultiRegionConfiguration = new MultiRegionConfiguration
        {
            MultiRegionKeyType = key.IsReplica ? "REPLICA" : "PRIMARY",
            PrimaryKey = new MultiRegionKey { Arn = options.KeyArn(key.PrimaryRegion!, key.AccountId, key.KeyId), Region = key.PrimaryRegion },
            ReplicaKeys = [.. family.Where(k => k.Region != key.PrimaryRegion).Select(Entry)],
        };
        return metadata;
    }

    /// <summary>
    /// Writes a Multi-Region primary together with its replicas, which take its shared properties (rotation, and for
    /// generated material its material versions and current version) in the same transaction. Null on a concurrent
    /// change of any of them. A replica already in step is not rewritten.
    /// </summary>
    private async ValueTask<KeyRecord?> WriteMultiRegionAsync(KeyRecord primary, IReadOnlyList<MaterialRecord> materials,
        IReadOnlyList<string> removeMaterialIds, CancellationToken ct)
    {
        var generated = primary.Origin != Origins.External;
        var updates = new List<KeyUpdate> { new(primary, materials, removeMaterialIds) };
        foreach (var replica in await storage.ListMultiRegionKeysAsync(primary.KeyId, ct))
        {
            if (replica.Region == primary.Region) continue;
            var next = Shared(primary, replica);
            if (next == replica && (!generated || materials.Count + removeMaterialIds.Count == 0)) continue;
            updates.Add(generated
                ? new KeyUpdate(next, [.. materials.Select(m => keyStore.CopyMaterial(m, replica.StorageId))], removeMaterialIds)
                : new KeyUpdate(next, [], []));
        }
        if (updates.Count == 1) return await WriteOneKeyAsync(primary, materials, removeMaterialIds, ct);
        var stored = await storage.UpdateKeysAsync(updates, ct);
        if (stored is null) return null;
        foreach (var k in stored) _cache.PutKey(k);
        foreach (var u in updates)
            foreach (var m in u.Materials) _cache.PutMaterial(m);
        return stored[0];
    }

    /// <summary>A replica with the primary's shared properties (the version and the Region's own properties kept).</summary>
    private static KeyRecord Shared(KeyRecord primary, KeyRecord replica) => replica with
    {
        RotationPeriodInDays = primary.RotationPeriodInDays,
        NextRotationDate = primary.NextRotationDate,
        OnDemandRotationStartDate = primary.OnDemandRotationStartDate,
        OnDemandRotations = primary.OnDemandRotations,
        CurrentMaterialId = primary.Origin == Origins.External ? replica.CurrentMaterialId : primary.CurrentMaterialId,
        PrimaryRegion = primary.PrimaryRegion,
    };

    /// <summary>
    /// A primary pending replica deletion whose last replica has gone starts its own waiting period (AWS:
    /// PendingReplicaDeletion, then PendingDeletion for the days it was scheduled with).
    /// </summary>
    private ValueTask<KeyRecord> AfterReplicaDeletedAsync(KeyRecord replica, CancellationToken ct) =>
        RetryOnConflictAsync(async () =>
        {
            var family = await storage.ListMultiRegionKeysAsync(replica.KeyId, ct);
            var primary = family.FirstOrDefault(k => !k.IsReplica);
            if (primary is not { State: KeyState.PendingReplicaDeletion } || family.Any(k => k.IsReplica)) return replica;
            var days = primary.PendingWindowInDays ?? 30;
            return await WriteOneKeyAsync(primary with { State = KeyState.PendingDeletion, DeletionDate = Now().AddDays(days) }, [], [], ct);
        }, ct);

    private void RequirePrimary(KeyRecord key)
    {
        if (!key.MultiRegion) throw Faults.Unsupported($"{Arn(key)} is not a multi-Region key.");
        if (key.IsReplica)
            throw Faults.Unsupported($"{Arn(key)} is a multi-Region replica key. Use its primary key in {key.PrimaryRegion}.");
    }

    /// <summary>Shared properties change only through the primary (AWS answers UnsupportedOperationException on a replica).</summary>
    private void RequireNotReplica(KeyRecord key)
    {
        if (key.IsReplica)
            throw Faults.Unsupported(
                $"{Arn(key)} is a multi-Region replica key; its shared properties are changed through its primary key in {key.PrimaryRegion}.");
    }

    private void RequireUpdatable(KeyRecord key)
    {
        if (key.State is KeyState.PendingDeletion or KeyState.PendingReplicaDeletion or KeyState.Disabled)
            throw Faults.WrongState(Arn(key), key.State);
    }

    private static KmsException ReplicaExists(string arn) =>
        new(KmsErrorCode.AlreadyExistsException, $"The multi-Region key {arn} already exists.");
}
