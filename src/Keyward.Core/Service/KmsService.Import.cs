using System.Security.Cryptography;
using Keyward.Core.Identity;
using Keyward.Core.Import;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

/// <summary>
/// Imported key material (BYOK), as in AWS's "Importing key material": a key created with Origin
/// EXTERNAL waits in PendingImport; GetParametersForImport hands out an RSA wrapping key and an
/// import token (24 hours); ImportKeyMaterial unwraps, checks and stores the material. Material
/// can expire (ValidTo) or be deleted, which puts the key back in PendingImport until the same
/// material is imported again. Symmetric keys can hold several imported materials and rotate
/// onto new ones on demand; asymmetric and HMAC keys keep the material of their first import.
/// </summary>
public sealed partial class KmsService
{
    private const string ExpiresModel = "KEY_MATERIAL_EXPIRES";
    private const string ExpiresNever = "KEY_MATERIAL_DOES_NOT_EXPIRE";
    private const string NewMaterial = "NEW_KEY_MATERIAL";
    private const string ExistingMaterial = "EXISTING_KEY_MATERIAL";

    /// <summary>Imported material may expire at most this far ahead.</summary>
    private static readonly TimeSpan MaxValidity = TimeSpan.FromDays(365);

    /// <summary>Expired wrapping keys are kept this long, so a late import hears "expired" rather than "invalid".</summary>
    private static readonly TimeSpan ExpiredParametersRetention = TimeSpan.FromDays(7);

    public async ValueTask<GetParametersForImportResponse> GetParametersForImportAsync(Caller caller, GetParametersForImportRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        RequireImportable(key);
        RequireNotPendingDeletion(key);
        var algorithm = request.WrappingAlgorithm!;
        var wrappingKeySpec = request.WrappingKeySpec!;
        if (wrappingKeySpec == "SM2" || algorithm == "SM2PKE")
            throw Faults.Unsupported("SM2 wrapping keys are available only in China Regions.");
        if (algorithm == "RSAES_PKCS1_V1_5")
            throw KmsException.Validation("The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.");
        if (ImportWrappingKeys.Unfit(Spec(key), wrappingKeySpec, algorithm) is { } reason) throw KmsException.Validation(reason);

        var now = Now();
        var (record, token, publicKey) = await _keyPairs.RunAsync(KeySpecInfo.Find(wrappingKeySpec)!,
            () => imports.Create(key.StorageId, wrappingKeySpec, algorithm, now), ct);
        await storage.CreateImportParametersAsync(record, ct);
        return new GetParametersForImportResponse { KeyId = Arn(key), ImportToken = token, PublicKey = publicKey, ParametersValidTo = record.ValidTo };
    }

    public async ValueTask<KeyMaterialResponse> ImportKeyMaterialAsync(Caller caller, ImportKeyMaterialRequest request, CancellationToken ct)
    {
        var now = Now();
        var expiration = request.ExpirationModel ?? ExpiresModel;
        var validTo = CheckExpiration(expiration, request.ValidTo, now);
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct, fresh: true);
        RequireImportable(key);
        RequireNotPendingDeletion(key);
        var spec = Spec(key);
        if (spec.Family != KeyFamily.Symmetric && (request.ImportType ?? request.KeyMaterialId ?? request.KeyMaterialDescription) is not null)
            throw KmsException.Validation("ImportType, KeyMaterialId and KeyMaterialDescription are only usable with symmetric encryption keys.");
        if (request.ImportType == NewMaterial && request.KeyMaterialId is not null)
            throw KmsException.Validation("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.");

        var parameters = await ImportParametersAsync(key, request.ImportToken!, now, ct);
        var clear = imports.Unwrap(parameters, request.EncryptedKeyMaterial) ?? throw KmsException.InvalidCiphertext();
        MaterialRecord imported;
        try { imported = keyStore.ImportMaterial(key.StorageId, spec, clear, now); }
        finally { CryptographicOperations.ZeroMemory(clear); }
        imported = imported with { ExpirationModel = expiration, ValidTo = validTo };

        var first = true;
        return await RetryOnConflictAsync(async () =>
        {
            if (!first)
            {
                key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct, fresh: true);
                RequireNotPendingDeletion(key);
            }
            first = false;
            var materials = await AllMaterialsAsync(key.StorageId, ct);
            var (nextKey, material) = MergeImport(key, materials, imported, request);
            return await WriteKeyAsync(nextKey, [material], [], ct) is { } stored
                ? new KeyMaterialResponse { KeyId = Arn(stored), KeyMaterialId = spec.Family == KeyFamily.Symmetric ? material.MaterialId : null }
                : null;
        }, ct);
    }

    public async ValueTask<KeyMaterialResponse> DeleteImportedKeyMaterialAsync(Caller caller, DeleteImportedKeyMaterialRequest request, CancellationToken ct)
    {
        return await RetryOnConflictAsync(async () =>
        {
            var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct, fresh: true);
            RequireImportable(key);
            var materialId = request.KeyMaterialId ?? key.CurrentMaterialId ?? throw Faults.WrongState(Arn(key), KeyState.PendingImport);
            var material = await storage.GetMaterialAsync(key.StorageId, materialId, ct)
                           ?? throw KmsException.NotFound($"Key material {materialId} is not associated with {Arn(key)}.");
            var stored = await RemoveSecretAsync(key, material, ct);
            return stored is null ? null : new KeyMaterialResponse { KeyId = Arn(stored), KeyMaterialId = materialId };
        }, ct);
    }

    /// <summary>Deletes imported material whose ValidTo has passed (the lifecycle job's work). Returns how many.</summary>
    public ValueTask<int> ExpireDueMaterialsAsync(CancellationToken ct) =>
        DrainAsync(() => storage.ListMaterialsDueForExpiryAsync(Now(), DueBatch, ct), async material =>
            await storage.GetKeyAsync(material.KeyId, ct) is { } key && await RemoveSecretAsync(key, material, ct) is not null);

    /// <summary>Forgets wrapping key pairs a while after they expired (the lifecycle job's work).</summary>
    public ValueTask<int> PurgeImportParametersAsync(CancellationToken ct) =>
        storage.DeleteExpiredImportParametersAsync(Now() - ExpiredParametersRetention, ct);

    /// <summary>
    /// Takes the secret away from a material version: material pending rotation is dropped
    /// altogether (it was never part of the key); any other puts the key in PendingImport
    /// (a key pending deletion keeps its state). Null on a concurrent change of the key.
    /// </summary>
    private async ValueTask<KeyRecord?> RemoveSecretAsync(KeyRecord key, MaterialRecord material, CancellationToken ct)
    {
        var state = key.State == KeyState.PendingDeletion ? key.State : KeyState.PendingImport;
        // Without its current material a key has no ExpirationModel or ValidTo in DescribeKey (AWS's recorded answer,
        // LocalStack's snapshot test_import_key_symmetric "describe-key-after-deleted-import"); a re-import sets them.
        var without = material.MaterialId == key.CurrentMaterialId ? key with { State = state, ExpirationModel = null, ValidTo = null }
            : key with { State = state };
        var stored = material.PendingRotation
            ? await WriteKeyAsync(key, [], [material.MaterialId], ct)
            : await WriteKeyAsync(without, [material with { Wrapped = null }], [], ct);
        if (stored is not null) keyStore.Forget(key.StorageId);
        return stored;
    }

    /// <summary>
    /// Applies AWS's import rules to the key's materials: what the import becomes (the first or a
    /// re-imported version, or new material pending rotation) and the key's resulting state.
    /// </summary>
    private (KeyRecord Key, MaterialRecord Material) MergeImport(KeyRecord key, IReadOnlyList<MaterialRecord> materials, MaterialRecord imported,
        ImportKeyMaterialRequest request)
    {
        var existing = materials.FirstOrDefault(m => m.MaterialId == imported.MaterialId);
        var importType = request.ImportType ?? (materials.Count == 0 ? NewMaterial : ExistingMaterial);
        MaterialRecord material;
        if (importType == ExistingMaterial)
        {
            if (existing is null)
                throw Faults.IncorrectKeyMaterial(materials.Count == 0
                    ? "No key material has been imported into this KMS key yet. Import it with ImportType NEW_KEY_MATERIAL."
                    : "The key material is not the same key material that was previously imported into this KMS key.");
            if (request.KeyMaterialId is { } id && id != existing.MaterialId)
                throw Faults.IncorrectKeyMaterial($"The key material does not match key material {id}.");
            material = existing with
            {
                Wrapped = imported.Wrapped,
                ExpirationModel = imported.ExpirationModel,
                ValidTo = imported.ValidTo,
                Description = request.KeyMaterialDescription ?? existing.Description,
            };
        }
        else
        {
            if (existing is not null)
                throw Faults.IncorrectKeyMaterial("This key material is already associated with the KMS key. Reimport it with ImportType EXISTING_KEY_MATERIAL.");
            if (materials.Any(m => m.PendingRotation))
                throw Faults.IncorrectKeyMaterial("The KMS key already has key material in PENDING_ROTATION state. Rotate onto it or delete it first.");
            // Material pending rotation would be one Region's only: a Multi-Region key does not rotate onto imported material.
            if (materials.Count > 0 && key.MultiRegion)
                throw Faults.Unsupported($"{Arn(key)} is a multi-Region key with imported key material; it takes no new key material.");
            material = imported with { PendingRotation = materials.Count > 0, Description = request.KeyMaterialDescription };
        }

        var next = key;
        if (materials.Count == 0) next = next with { CurrentMaterialId = material.MaterialId };
        if (material.MaterialId == next.CurrentMaterialId) next = next with { ExpirationModel = material.ExpirationModel, ValidTo = material.ValidTo };
        // The key is usable again once every material permanently associated with it is imported.
        var complete = materials.All(m => m.MaterialId == material.MaterialId || m.PendingRotation || m.HasSecret);
        if (complete && key.State == KeyState.PendingImport) next = next with { State = KeyState.Enabled };
        return (next, material);
    }

    private async ValueTask<ImportParametersRecord> ImportParametersAsync(KeyRecord key, byte[] token, DateTimeOffset now, CancellationToken ct)
    {
        if (!ImportToken.TryParse(token, out var tokenKeyId, out var tokenId) || tokenKeyId != key.KeyId) throw Faults.InvalidImportToken();
        var parameters = await storage.GetImportParametersAsync(tokenId, ct);
        if (parameters is null || parameters.KeyId != key.StorageId) throw Faults.InvalidImportToken();
        if (parameters.ValidTo <= now) throw Faults.ExpiredImportToken();
        return parameters;
    }

    /// <summary>True when the key has material and every material permanently associated with it holds its secret.</summary>
    private async ValueTask<bool> MaterialCompleteAsync(KeyRecord key, CancellationToken ct) =>
        key.CurrentMaterialId is not null && (await AllMaterialsAsync(key.StorageId, ct)).All(m => m.PendingRotation || m.HasSecret);

    private async ValueTask<List<MaterialRecord>> AllMaterialsAsync(string keyId, CancellationToken ct)
    {
        var all = new List<MaterialRecord>();
        while (true)
        {
            var batch = await storage.ListMaterialsAsync(keyId, all.Count == 0 ? 0 : all[^1].Sequence, 100, ct);
            all.AddRange(batch);
            if (batch.Count < 100) return all;
        }
    }

    /// <summary>AWS's rules for ExpirationModel and ValidTo; returns the ValidTo to store.</summary>
    private static DateTimeOffset? CheckExpiration(string expirationModel, DateTimeOffset? validTo, DateTimeOffset now)
    {
        if (expirationModel != ExpiresModel)
        {
            if (validTo is not null)
                throw KmsException.Validation("The parameter ValidTo cannot be specified for a key with an expiration model of KEY_MATERIAL_DOES_NOT_EXPIRE");
            return null;
        }
        if (validTo is not { } t) throw KmsException.Validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
        if (t <= now) throw KmsException.Validation("ValidTo must be in the future.");
        if (t > now + MaxValidity) throw KmsException.Validation("ValidTo must be at most 365 days in the future.");
        return t;
    }

    /// <summary>Import operations need a key created for imported material (Origin EXTERNAL).</summary>
    private void RequireImportable(KeyRecord key)
    {
        if (key.Origin != Origins.External) throw Faults.WrongOrigin(Arn(key), key.Origin);
    }
}
