using System.Security.Cryptography;
using Keyward.Core.Crypto;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    private const string SymmetricDefault = "SYMMETRIC_DEFAULT";

    /// <summary>A decrypted ciphertext: the key, the plaintext (the caller zeroes it), the material version and algorithm used.</summary>
    private readonly record struct Opened(KeyRecord Key, byte[] Plaintext, string? MaterialId, string Algorithm);

    /// <summary>A new ciphertext: a symmetric blob or raw RSAES-OAEP output.</summary>
    private readonly record struct Sealed(byte[] Blob, string? MaterialId, string Algorithm);

    public async ValueTask<EncryptResponse> EncryptAsync(Caller caller, EncryptRequest request, CancellationToken ct)
    {
        CheckContext(request.EncryptionContext, "encryptionContext");
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var result = await EncryptUnderAsync(caller, key, "Encrypt", request.EncryptionAlgorithm, request.Plaintext!,
            request.EncryptionContext, request.DryRun == true, ct);
        return new EncryptResponse { CiphertextBlob = result.Blob, KeyId = Arn(key), EncryptionAlgorithm = result.Algorithm };
    }

    public async ValueTask<DecryptResponse> DecryptAsync(Caller caller, DecryptRequest request, CancellationToken ct)
    {
        CheckContext(request.EncryptionContext, "encryptionContext");
        // A caller that names a Recipient asked not to get the plaintext in the clear: refused, never ignored.
        if (request.Recipient is not null) throw Faults.RecipientUnsupported();
        var opened = await OpenAsync(caller, request.CiphertextBlob!, request.KeyId,
            request.EncryptionAlgorithm, request.EncryptionContext, request.DryRun == true, "Decrypt", ct);
        return new DecryptResponse
        {
            KeyId = Arn(opened.Key),
            Plaintext = opened.Plaintext,
            EncryptionAlgorithm = opened.Algorithm,
            KeyMaterialId = opened.MaterialId,
        };
    }

    public async ValueTask<ReEncryptResponse> ReEncryptAsync(Caller caller, ReEncryptRequest request, CancellationToken ct)
    {
        CheckContext(request.SourceEncryptionContext, "sourceEncryptionContext");
        CheckContext(request.DestinationEncryptionContext, "destinationEncryptionContext");
        // AWS authorizes ReEncrypt as two actions, each with its own encryption context.
        var destination = await ResolveKeyAsync(caller with { EncryptionContext = request.DestinationEncryptionContext }, request.DestinationKeyId!,
            allowAlias: true, ct, action: "kms:ReEncryptTo");
        CheckEncryptionUse(destination, "ReEncrypt", request.DestinationEncryptionAlgorithm, request.DestinationEncryptionContext);
        var source = await OpenAsync(caller with { EncryptionContext = request.SourceEncryptionContext }, request.CiphertextBlob!, request.SourceKeyId,
            request.SourceEncryptionAlgorithm, request.SourceEncryptionContext, request.DryRun == true, "ReEncrypt", ct);
        try
        {
            var result = await EncryptUnderAsync(caller, destination, "ReEncrypt", request.DestinationEncryptionAlgorithm, source.Plaintext,
                request.DestinationEncryptionContext, dryRun: false, ct);
            return new ReEncryptResponse
            {
                CiphertextBlob = result.Blob,
                SourceKeyId = Arn(source.Key),
                KeyId = Arn(destination),
                SourceEncryptionAlgorithm = source.Algorithm,
                DestinationEncryptionAlgorithm = result.Algorithm,
                SourceKeyMaterialId = source.MaterialId,
                DestinationKeyMaterialId = result.MaterialId,
            };
        }
        finally { CryptographicOperations.ZeroMemory(source.Plaintext); }
    }

    public async ValueTask<GenerateDataKeyResponse> GenerateDataKeyAsync(Caller caller, GenerateDataKeyRequest request, bool withPlaintext, CancellationToken ct)
    {
        CheckContext(request.EncryptionContext, "encryptionContext");
        if (withPlaintext && request.Recipient is not null) throw Faults.RecipientUnsupported();
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
            var (blob, materialId) = await SealAsync(caller, key, dataKey, request.EncryptionContext, ct);
            var response = new GenerateDataKeyResponse { CiphertextBlob = blob, KeyId = Arn(key), KeyMaterialId = materialId };
            if (withPlaintext) response.Plaintext = dataKey;
            return response;
        }
        finally
        {
            if (!withPlaintext) CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    public async ValueTask<GenerateRandomResponse> GenerateRandomAsync(Caller caller, GenerateRandomRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        if (request.Recipient is not null) throw Faults.RecipientUnsupported();
        if (request.NumberOfBytes is not { } n) throw KmsException.Validation("NumberOfBytes is required.");
        if (request.CustomKeyStoreId is not { } storeId) return new GenerateRandomResponse { Plaintext = RandomNumberGenerator.GetBytes(n) };
        // From the HSM's own random number generator.
        var random = await InConnectedStoreAsync(caller, storeId, store => store.GenerateRandomAsync(n, ct), ct);
        return new GenerateRandomResponse { Plaintext = random };
    }

    /// <summary>Encrypt's semantics for any ENCRYPT_DECRYPT key: a symmetric blob, or RSAES-OAEP under an RSA key's public key.</summary>
    private async ValueTask<Sealed> EncryptUnderAsync(Caller caller, KeyRecord key, string operation, string? algorithm, ReadOnlyMemory<byte> plaintext,
        Dictionary<string, string>? context, bool dryRun, CancellationToken ct)
    {
        var spec = CheckEncryptionUse(key, operation, algorithm, context);
        if (spec.Family != KeyFamily.Rsa)
        {
            if (dryRun) throw Faults.DryRun();
            var (blob, materialId) = await SealAsync(caller, key, plaintext, context, ct);
            return new Sealed(blob, materialId, SymmetricDefault);
        }
        var padding = AsymmetricKeys.RsaEncryptionPadding(algorithm!)!;
        var max = AsymmetricKeys.MaxOaepPlaintext(spec.Bits, padding);
        if (plaintext.Length > max)
            throw KmsException.Validation($"Algorithm {algorithm} and key spec {key.KeySpec} cannot encrypt data larger than {max} bytes.");
        var material = await CurrentMaterialAsync(key, ct);
        if (dryRun) throw Faults.DryRun();
        return new Sealed(AsymmetricKeys.RsaEncrypt(material.PublicKey!, padding, plaintext.Span), null, algorithm!);
    }

    /// <summary>
    /// The checks every encryption makes: an enabled ENCRYPT_DECRYPT key, an algorithm its spec
    /// supports (SYMMETRIC_DEFAULT when none is named, so an RSA key needs one), and no
    /// encryption context for RSA (RSAES-OAEP has no associated data).
    /// </summary>
    private KeySpecInfo CheckEncryptionUse(KeyRecord key, string operation, string? algorithm, Dictionary<string, string>? context)
    {
        var spec = Spec(key);
        if (spec.Family != KeyFamily.Rsa)
        {
            RequireSymmetricUse(key, operation, algorithm);
            return spec;
        }
        RequireUsage(key, KeySpecInfo.EncryptDecrypt, operation);
        if (algorithm is null || AsymmetricKeys.RsaEncryptionPadding(algorithm) is null)
            throw Faults.IncompatibleAlgorithm(algorithm ?? SymmetricDefault, key.KeySpec);
        if (context is { Count: > 0 }) throw Faults.ContextOnAsymmetricKey();
        return spec;
    }

    /// <summary>
    /// Encrypts under the key's current material; returns the blob and the material id used. A key in an external key
    /// store encrypts twice: under its KMS-side material, then through its XKS proxy under the external key.
    /// </summary>
    private async ValueTask<(byte[] Blob, string MaterialId)> SealAsync(Caller caller, KeyRecord key, ReadOnlyMemory<byte> plaintext,
        Dictionary<string, string>? context, CancellationToken ct)
    {
        var material = await CurrentMaterialAsync(key, ct);
        var aad = CiphertextBlob.HeaderAndAad(key.KeyId, material.MaterialId, context);
        if (key.XksKeyId is null)
        {
            // The store leaves room for the header in front of its payload: the blob is written once, not composed.
            var blob = await StoreFor(key).EncryptAsync(material, plaintext, aad, CiphertextBlob.HeaderSize, ct);
            aad.AsSpan(0, CiphertextBlob.HeaderSize).CopyTo(blob);
            return (blob, material.MaterialId);
        }
        var payload = await StoreFor(key).EncryptAsync(material, plaintext, aad, ct);
        payload = await SealExternalAsync(caller, key, payload, aad, ct);
        return (CiphertextBlob.Compose(aad.AsSpan(0, CiphertextBlob.HeaderSize), payload), material.MaterialId);
    }

    /// <summary>
    /// Decrypts a ciphertext. With a KeyId that names an RSA key, it is raw RSAES-OAEP output and
    /// needs the algorithm; otherwise it is a symmetric blob whose header names the key. Anything
    /// wrong with the ciphertext itself, its material or its context is InvalidCiphertextException
    /// without detail. A KeyId that names another key is IncorrectKeyException; the key's state and
    /// usage give their own errors.
    /// </summary>
    private async ValueTask<Opened> OpenAsync(Caller caller, byte[] ciphertext, string? keyId, string? algorithm,
        Dictionary<string, string>? context, bool dryRun, string operation, CancellationToken ct)
    {
        KeyRecord? key = null;
        var action = operation == "ReEncrypt" ? "kms:ReEncryptFrom" : "kms:Decrypt";
        if (keyId is not null)
        {
            key = await ResolveKeyAsync(caller, keyId, allowAlias: true, ct, action: action);
            if (Spec(key).Family == KeyFamily.Rsa)
            {
                var spec = CheckEncryptionUse(key, operation, algorithm, context);
                var current = await CurrentMaterialAsync(key, ct);
                if (dryRun) throw Faults.DryRun();
                var plaintext = await keyStore.DecryptRsaAsync(current, spec, algorithm!, ciphertext, ct);
                return new Opened(key, plaintext, null, algorithm!);
            }
        }
        if (!CiphertextBlob.TryParse(ciphertext, out var blob)) throw KmsException.InvalidCiphertext();
        if (key is not null)
        {
            if (key.KeyId != blob.KeyId) throw Faults.IncorrectKey();
        }
        else
        {
            // The blob names the key, of this account or (if its key policy allows the caller) another, in the request's
            // Region: a Multi-Region key's blob opens under its replica in any Region, a single-Region key's only in its own.
            var region = RegionOf(caller);
            key = await GetKeyAsync(KeyIds.StorageId(blob.KeyId, region), fresh: false, ct) is { } named && named.Region == region
                ? named
                : throw KmsException.InvalidCiphertext();
            await AuthorizeKeyAsync(caller, key, action, null, ct);
        }
        RequireSymmetricUse(key, operation, algorithm);
        var material = await GetMaterialAsync(key.StorageId, blob.MaterialId, ct) ?? throw KmsException.InvalidCiphertext();
        if (dryRun) throw Faults.DryRun();
        var aad = CiphertextBlob.Aad(blob.Header.Span, context);
        var payload = key.XksKeyId is null ? blob.Payload : await OpenExternalAsync(caller, key, blob.Payload, aad, ct);
        var opened = await StoreFor(key).DecryptAsync(material, payload, aad, ct);
        return new Opened(key, opened, blob.MaterialId, SymmetricDefault);
    }

    /// <summary>An enabled key of the given usage (state first, then usage, as AWS reports them).</summary>
    private KeySpecInfo RequireUsage(KeyRecord key, string usage, string operation)
    {
        if (key.State != KeyState.Enabled) throw Faults.WrongState(Arn(key), key.State);
        if (key.KeyUsage != usage) throw Faults.WrongUsage(Arn(key), key.KeyUsage, operation);
        return Spec(key);
    }

    /// <summary>A signing, MAC or key-agreement algorithm the key's spec and usage support.</summary>
    private static void RequireAlgorithm(KeyRecord key, KeySpecInfo spec, string algorithm)
    {
        if (!spec.Supports(key.KeyUsage, algorithm)) throw Faults.IncompatibleAlgorithm(algorithm, key.KeySpec);
    }

    /// <summary>An enabled symmetric encryption key, and SYMMETRIC_DEFAULT if an algorithm is named.</summary>
    private void RequireSymmetricUse(KeyRecord key, string operation, string? algorithm)
    {
        RequireUsage(key, KeySpecInfo.EncryptDecrypt, operation);
        if (key.KeySpec != SymmetricDefault || (algorithm is not null && algorithm != SymmetricDefault))
            throw Faults.IncompatibleAlgorithm(algorithm ?? SymmetricDefault, key.KeySpec);
    }

    /// <summary>The material version new operations use (asymmetric and HMAC keys have exactly one).</summary>
    private async ValueTask<Keys.MaterialRecord> CurrentMaterialAsync(KeyRecord key, CancellationToken ct)
    {
        var materialId = key.CurrentMaterialId ?? throw Faults.WrongState(Arn(key), key.State);
        return await GetMaterialAsync(key.StorageId, materialId, ct) ?? throw Faults.Internal();
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
