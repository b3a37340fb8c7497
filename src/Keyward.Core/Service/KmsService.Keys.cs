using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Core.Storage;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Model;
using Keyward.Protocol.Operations;
using Keyward.Protocol.Validation;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    private const int MaxTagsPerKey = 50;

    public async ValueTask<CreateKeyResponse> CreateKeyAsync(Caller caller, CreateKeyRequest request, CancellationToken ct)
    {
        if (request.KeySpec is not null && request.CustomerMasterKeySpec is not null)
            throw KmsException.Validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
        var keySpec = request.KeySpec ?? request.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
        var origin = request.Origin ?? "AWS_KMS";
        if (request.KeyUsage is null && keySpec != "SYMMETRIC_DEFAULT")
            throw KmsException.Validation("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
        // SM2 exists only in China Regions.
        var spec = KeySpecInfo.Find(keySpec) ?? throw Faults.Unsupported($"KeySpec {keySpec} is not supported by this server.");
        var usage = request.KeyUsage ?? spec.DefaultUsage!;
        if (!spec.Allows(usage))
            throw KmsException.Validation($"KeyUsage {usage} is not compatible with KeySpec {keySpec}");
        if (origin is not (Origins.AwsKms or Origins.External or Origins.AwsCloudHsm or Origins.ExternalKeyStore))
            throw Faults.Unsupported($"Origin {origin} is not supported by this server.");
        var inCustomStore = origin is Origins.AwsCloudHsm or Origins.ExternalKeyStore;
        if (inCustomStore != (request.CustomKeyStoreId is not null))
            throw Faults.Unsupported("A KMS key in a custom key store needs both CustomKeyStoreId and Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE.");
        if (inCustomStore && (keySpec != "SYMMETRIC_DEFAULT" || usage != KeySpecInfo.EncryptDecrypt))
            throw Faults.Unsupported($"KeySpec {keySpec} with KeyUsage {usage} is not supported in a custom key store; only symmetric encryption keys are.");
        if (origin == Origins.External && spec.IsBouncyCastle)
            throw Faults.Unsupported($"Importing key material for KeySpec {keySpec} is not supported by this server.");
        if ((request.XksKeyId is not null) != (origin == Origins.ExternalKeyStore))
            throw KmsException.Validation(request.XksKeyId is null
                ? "A KMS key with Origin EXTERNAL_KEY_STORE needs an XksKeyId."
                : "XksKeyId is allowed only with Origin EXTERNAL_KEY_STORE.");
        if (request.XksKeyId is { } xksId && !XksKeyIdPattern.IsMatch(xksId))
            throw KmsException.Validation("XksKeyId must be 1 to 128 characters of letters, digits, '.', '_' and '-'.");
        var multiRegion = request.MultiRegion == true;
        // AWS: a custom key store cannot hold a Multi-Region key.
        if (multiRegion && inCustomStore)
            throw Faults.Unsupported("Multi-Region keys are not supported in custom key stores. Create the key in the default key store.");

        AuthorizeAccount(caller, keySpec, usage, origin);
        var tags = CheckTags(request.Tags ?? [], existing: []);
        var region = RegionOf(caller);
        var keyId = multiRegion ? KeyIds.NewMultiRegion() : KeyIds.New();
        var storageId = KeyIds.StorageId(keyId, region);
        var keyArn = options.KeyArn(region, caller.AccountId, keyId);
        var policy = request.Policy is null
            ? KeyPolicies.Default(options.Partition, caller.AccountId)
            : CheckNewPolicy(caller, request.Policy, caller.AccountId, keyArn, request.BypassPolicyLockoutSafetyCheck == true);
        var now = Now();
        // A key for imported material has none until ImportKeyMaterial. A key in an external key store has KMS-side
        // material of its own (the inner layer of its double encryption) besides the external key.
        if (origin == Origins.ExternalKeyStore) await CheckExternalKeyAsync(caller, request.CustomKeyStoreId!, request.XksKeyId!, keyArn, ct);
        var material = origin switch
        {
            Origins.AwsCloudHsm => await InConnectedStoreAsync(caller, request.CustomKeyStoreId!,
                store => store.CreateMaterialAsync(keyId, spec, now), ct),
            Origins.External => null,
            _ => await _keyPairs.RunAsync(spec, () => keyStore.CreateMaterial(storageId, spec, now), ct),
        };
        var key = new KeyRecord
        {
            KeyId = keyId,
            AccountId = caller.AccountId,
            Region = region,
            PrimaryRegion = multiRegion ? region : null,
            CreationDate = now,
            Description = request.Description ?? string.Empty,
            KeySpec = keySpec,
            KeyUsage = usage,
            Origin = origin,
            State = material is null ? KeyState.PendingImport : KeyState.Enabled,
            CurrentMaterialId = material?.MaterialId,
            Policy = policy,
            CustomKeyStoreId = request.CustomKeyStoreId,
            XksKeyId = request.XksKeyId,
            Version = 1,
        };
        // Durable (committed with synchronous=FULL / fsync) before the client hears of the key.
        try { await storage.CreateKeyAsync(key, material, tags, ct); }
        catch (StorageConflictException) when (key.XksKeyId is not null)
        {
            throw new KmsException(KmsErrorCode.XksKeyAlreadyInUseException,
                $"The external key {key.XksKeyId} is already associated with a KMS key in custom key store {key.CustomKeyStoreId}.");
        }
        caller.Audit.Touch(Arn(key));
        _cache.PutKey(key);
        if (material is not null) _cache.PutMaterial(material);
        return new CreateKeyResponse { KeyMetadata = await DescribeAsync(key, ct) };
    }

    public async ValueTask<DescribeKeyResponse> DescribeKeyAsync(Caller caller, DescribeKeyRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        return new DescribeKeyResponse { KeyMetadata = await DescribeAsync(key, ct) };
    }

    public async ValueTask<ListKeysResponse> ListKeysAsync(Caller caller, ListKeysRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        var limit = request.Limit ?? 100;
        var after = Paging.DecodeMarker(request.Marker);
        var keys = await storage.ListKeysAsync(caller.AccountId, RegionOf(caller), after, limit + 1, ct);
        var page = keys.Take(limit).ToList();
        var truncated = keys.Count > limit;
        return new ListKeysResponse
        {
            Keys = page.Select(k => new KeyListEntry { KeyId = k.KeyId, KeyArn = Arn(k) }).ToList(),
            Truncated = truncated,
            NextMarker = truncated ? Paging.EncodeMarker(page[^1].StorageId) : null,
        };
    }

    public async ValueTask EnableKeyAsync(Caller caller, string keyId, CancellationToken ct) =>
        await ChangeKeyAsync(caller, keyId, key => key.State switch
        {
            KeyState.Enabled => key,
            KeyState.Disabled => key with { State = KeyState.Enabled },
            _ => throw Faults.WrongState(Arn(key), key.State),
        }, ct);

    public async ValueTask DisableKeyAsync(Caller caller, string keyId, CancellationToken ct) =>
        await ChangeKeyAsync(caller, keyId, key => key.State switch
        {
            KeyState.Disabled => key,
            KeyState.Enabled => key with { State = KeyState.Disabled },
            _ => throw Faults.WrongState(Arn(key), key.State),
        }, ct);

    public async ValueTask UpdateKeyDescriptionAsync(Caller caller, UpdateKeyDescriptionRequest request, CancellationToken ct) =>
        await ChangeKeyAsync(caller, request.KeyId!, key =>
        {
            RequireNotPendingDeletion(key);
            return key with { Description = request.Description! };
        }, ct);

    public async ValueTask<ScheduleKeyDeletionResponse> ScheduleKeyDeletionAsync(Caller caller, ScheduleKeyDeletionRequest request, CancellationToken ct)
    {
        var days = request.PendingWindowInDays ?? 30;
        // The model allows 1..365; KMS itself accepts only 7..30 days.
        var errors = new ValidationErrors();
        errors.Range(days, "pendingWindowInDays", 7, 30);
        errors.ThrowIfAny();
        // AWS: a Multi-Region primary with replicas waits in PendingReplicaDeletion until its last replica is deleted,
        // then its own waiting period begins.
        var probe = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct, fresh: true);
        var hasReplicas = probe.MultiRegion && !probe.IsReplica && (await storage.ListMultiRegionKeysAsync(probe.KeyId, ct)).Any(k => k.IsReplica);
        var key = await ChangeKeyAsync(caller, request.KeyId!, key =>
        {
            RequireNotPendingDeletion(key);
            return hasReplicas
                ? key with { State = KeyState.PendingReplicaDeletion, DeletionDate = null, PendingWindowInDays = days }
                : key with { State = KeyState.PendingDeletion, DeletionDate = Now().AddDays(days), PendingWindowInDays = days };
        }, ct);
        return new ScheduleKeyDeletionResponse
        {
            KeyId = Arn(key),
            DeletionDate = key.DeletionDate,
            KeyState = key.State.ToString(),
            PendingWindowInDays = key.PendingWindowInDays,
        };
    }

    public async ValueTask<CancelKeyDeletionResponse> CancelKeyDeletionAsync(Caller caller, string keyId, CancellationToken ct)
    {
        // A key whose imported material is missing comes back PendingImport rather than Disabled.
        var probe = await ResolveKeyAsync(caller, keyId, allowAlias: false, ct, fresh: true);
        var restored = probe.Origin == Origins.External && !await MaterialCompleteAsync(probe, ct) ? KeyState.PendingImport : KeyState.Disabled;
        var key = await ChangeKeyAsync(caller, keyId, key => key.State is KeyState.PendingDeletion or KeyState.PendingReplicaDeletion
            ? key with { State = restored, DeletionDate = null, PendingWindowInDays = null }
            : throw Faults.NotPendingDeletion(Arn(key)), ct);
        return new CancelKeyDeletionResponse { KeyId = Arn(key) };
    }

    /// <summary>
    /// Deletes keys whose waiting period has passed (the background job's work). A key whose
    /// deletion was cancelled meanwhile keeps its new version and is left alone.
    /// Returns the number of keys deleted.
    /// </summary>
    public ValueTask<int> DeleteDueKeysAsync(CancellationToken ct) =>
        DrainAsync(() => storage.ListKeysDueForDeletionAsync(Now(), DueBatch, ct), async key =>
        {
            if (!await storage.DeleteKeyAsync(key.StorageId, key.Version, ct)) return false;
            // A key in a disconnected custom key store leaves its HSM objects behind (as AWS does); docs/operations.md.
            if (key.CustomKeyStoreId is null || key.XksKeyId is not null) keyStore.Forget(key.StorageId);
            else if (_stores.TryGet(key.CustomKeyStoreId, out var hsmStore)) hsmStore.Forget(key.StorageId);
            _cache.DropKey(key.StorageId);
            if (key.IsReplica) await AfterReplicaDeletedAsync(key, ct);
            return true;
        });

    private void RequireNotPendingDeletion(KeyRecord key)
    {
        if (key.State is KeyState.PendingDeletion or KeyState.PendingReplicaDeletion) throw Faults.WrongState(Arn(key), key.State);
    }

    /// <summary>
    /// AWS's tag rules, in AWS's order (LocalStack's recorded AWS answers): duplicate keys, then more than 50 tags in
    /// the request, then the reserved "aws:" prefix (any case), each a TagException with AWS's message. Lengths were
    /// checked by the protocol layer. A request that fits but would take the key past 50 tags with its
    /// <paramref name="existing"/> ones is LimitExceededException.
    /// </summary>
    private static List<TagRecord> CheckTags(IReadOnlyList<Tag> tags, IReadOnlyList<TagRecord> existing)
    {
        if (tags.Select(t => t.TagKey).Distinct(StringComparer.Ordinal).Count() < tags.Count)
            throw Faults.Tag("Duplicate tag keys");
        if (tags.Count > MaxTagsPerKey) throw Faults.Tag("Too many tags");
        var result = new List<TagRecord>(tags.Count);
        foreach (var t in tags)
        {
            if (t.TagKey!.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
                throw Faults.Tag("Tags beginning with aws: are reserved");
            result.Add(new TagRecord(t.TagKey, t.TagValue!));
        }
        // Tags whose key the resource already has overwrite it; only new keys count toward the limit.
        var total = existing.Count + result.Count(r => !existing.Any(e => e.TagKey == r.TagKey));
        if (total > MaxTagsPerKey)
            throw new KmsException(KmsErrorCode.LimitExceededException, $"A KMS key can have at most {MaxTagsPerKey} tags.");
        return result;
    }
}
