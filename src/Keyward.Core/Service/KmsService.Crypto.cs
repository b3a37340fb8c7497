using System.Security.Cryptography;
using Keyward.Core.Crypto;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

internal sealed partial class KmsService
{
    private const string SymmetricDefault = "SYMMETRIC_DEFAULT";

    public async ValueTask<EncryptResponse> EncryptAsync(Principal caller, EncryptRequest request, CancellationToken ct)
    {
        CheckContext(request.EncryptionContext, "encryptionContext");
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        RequireSymmetricUse(key, "Encrypt", request.EncryptionAlgorithm);
        if (request.DryRun == true) throw Faults.DryRun();
        var (blob, _) = await SealAsync(key, request.Plaintext!, request.EncryptionContext, ct);
        return new EncryptResponse { CiphertextBlob = blob, KeyId = Arn(key), EncryptionAlgorithm = SymmetricDefault };
    }

    public async ValueTask<DecryptResponse> DecryptAsync(Principal caller, DecryptRequest request, CancellationToken ct)
    {
        CheckContext(request.EncryptionContext, "encryptionContext");
        var (key, plaintext, materialId) = await OpenAsync(caller, request.CiphertextBlob!, request.KeyId,
            request.EncryptionAlgorithm, request.EncryptionContext, request.DryRun == true, "Decrypt", ct);
        return new DecryptResponse { KeyId = Arn(key), Plaintext = plaintext, EncryptionAlgorithm = SymmetricDefault, KeyMaterialId = materialId };
    }

    public async ValueTask<ReEncryptResponse> ReEncryptAsync(Principal caller, ReEncryptRequest request, CancellationToken ct)
    {
        CheckContext(request.SourceEncryptionContext, "sourceEncryptionContext");
        CheckContext(request.DestinationEncryptionContext, "destinationEncryptionContext");
        var destination = await ResolveKeyAsync(caller, request.DestinationKeyId!, allowAlias: true, ct);
        RequireSymmetricUse(destination, "ReEncrypt", request.DestinationEncryptionAlgorithm);
        var (source, plaintext, sourceMaterial) = await OpenAsync(caller, request.CiphertextBlob!, request.SourceKeyId,
            request.SourceEncryptionAlgorithm, request.SourceEncryptionContext, request.DryRun == true, "ReEncrypt", ct);
        try
        {
            var (blob, destinationMaterial) = await SealAsync(destination, plaintext, request.DestinationEncryptionContext, ct);
            return new ReEncryptResponse
            {
                CiphertextBlob = blob,
                SourceKeyId = Arn(source),
                KeyId = Arn(destination),
                SourceEncryptionAlgorithm = SymmetricDefault,
                DestinationEncryptionAlgorithm = SymmetricDefault,
                SourceKeyMaterialId = sourceMaterial,
                DestinationKeyMaterialId = destinationMaterial,
            };
        }
        finally { CryptographicOperations.ZeroMemory(plaintext); }
    }

    public async ValueTask<GenerateDataKeyResponse> GenerateDataKeyAsync(Principal caller, GenerateDataKeyRequest request, bool withPlaintext, CancellationToken ct)
    {
        CheckContext(request.EncryptionContext, "encryptionContext");
        var length = (request.KeySpec, request.NumberOfBytes) switch
        {
            ("AES_256", null) => 32,
            ("AES_128", null) => 16,
            (null, { } n) => n,
            _ => throw KmsException.Validation("Please specify either number of bytes or key spec."),
        };
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        RequireSymmetricUse(key, withPlaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext", null);
        if (request.DryRun == true) throw Faults.DryRun();
        var dataKey = RandomNumberGenerator.GetBytes(length);
        try
        {
            var (blob, materialId) = await SealAsync(key, dataKey, request.EncryptionContext, ct);
            var response = new GenerateDataKeyResponse { CiphertextBlob = blob, KeyId = Arn(key), KeyMaterialId = materialId };
            if (withPlaintext) response.Plaintext = dataKey;
            return response;
        }
        finally
        {
            if (!withPlaintext) CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    public ValueTask<GenerateRandomResponse> GenerateRandomAsync(GenerateRandomRequest request)
    {
        if (request.CustomKeyStoreId is not null)
            throw new KmsException(KmsErrorCode.CustomKeyStoreNotFoundException, $"Custom key store {request.CustomKeyStoreId} does not exist.");
        if (request.NumberOfBytes is not { } n) throw KmsException.Validation("NumberOfBytes is required.");
        return ValueTask.FromResult(new GenerateRandomResponse { Plaintext = RandomNumberGenerator.GetBytes(n) });
    }

    /// <summary>Encrypts under the key's current material; returns the blob and the material id used.</summary>
    private async ValueTask<(byte[] Blob, string MaterialId)> SealAsync(KeyRecord key, ReadOnlyMemory<byte> plaintext,
        Dictionary<string, string>? context, CancellationToken ct)
    {
        var materialId = key.CurrentMaterialId ?? throw Faults.WrongState(Arn(key), key.State);
        var material = await GetMaterialAsync(key.KeyId, materialId, ct) ?? throw Faults.Internal();
        var header = CiphertextBlob.WriteHeader(key.KeyId, materialId);
        var payload = await keyStore.EncryptAsync(material, plaintext, CiphertextBlob.Aad(header, context), ct);
        return (CiphertextBlob.Compose(header, payload), materialId);
    }

    /// <summary>
    /// Decrypts a symmetric blob. Anything wrong with the blob itself, its material or its
    /// context is InvalidCiphertextException without detail. A KeyId that names another key is
    /// IncorrectKeyException; the key's state and usage give their own errors.
    /// </summary>
    private async ValueTask<(KeyRecord Key, byte[] Plaintext, string MaterialId)> OpenAsync(Principal caller, byte[] blobBytes,
        string? keyId, string? algorithm, Dictionary<string, string>? context, bool dryRun, string operation, CancellationToken ct)
    {
        if (!CiphertextBlob.TryParse(blobBytes, out var blob)) throw KmsException.InvalidCiphertext();
        KeyRecord? key;
        if (keyId is not null)
        {
            key = await ResolveKeyAsync(caller, keyId, allowAlias: true, ct);
            if (key.KeyId != blob.KeyId) throw Faults.IncorrectKey();
        }
        else
        {
            key = await GetKeyAsync(blob.KeyId, fresh: false, ct);
            if (key is null || key.AccountId != caller.AccountId) throw KmsException.InvalidCiphertext();
        }
        RequireSymmetricUse(key, operation, algorithm);
        var material = await GetMaterialAsync(key.KeyId, blob.MaterialId, ct) ?? throw KmsException.InvalidCiphertext();
        if (dryRun) throw Faults.DryRun();
        var plaintext = await keyStore.DecryptAsync(material, blob.Payload, CiphertextBlob.Aad(blob.Header.Span, context), ct);
        return (key, plaintext, blob.MaterialId);
    }

    private void RequireSymmetricUse(KeyRecord key, string operation, string? algorithm)
    {
        if (key.State != KeyState.Enabled) throw Faults.WrongState(Arn(key), key.State);
        if (key.KeyUsage != "ENCRYPT_DECRYPT") throw Faults.WrongUsage(Arn(key), key.KeyUsage, operation);
        if (algorithm is not null && algorithm != SymmetricDefault)
            throw new KmsException(KmsErrorCode.InvalidKeyUsageException,
                $"Algorithm {algorithm} is incompatible with key spec {key.KeySpec}.");
    }

    private static void CheckContext(Dictionary<string, string>? context, string member)
    {
        if (context is null) return;
        foreach (var (k, v) in context)
        {
            // JSON null values deserialize to null strings; the model's map values are required.
            if (v is null) throw KmsException.Validation($"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Map value must not be null");
            if (k.Length == 0) throw KmsException.Validation($"1 validation error detected: Value at '{member}' failed to satisfy constraint: Map keys must have length greater than or equal to 1");
        }
    }
}
