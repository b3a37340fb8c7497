using System.Security.Cryptography;
using Keyward.Core.Crypto;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    /// <summary>
    /// A fresh key pair for use outside KMS: the PKCS#8 private key encrypted under a symmetric
    /// KMS key (with the encryption context), the DER public key, and, with plaintext, the private key.
    /// </summary>
    public async ValueTask<GenerateDataKeyPairResponse> GenerateDataKeyPairAsync(Caller caller, GenerateDataKeyPairRequest request,
        bool withPlaintext, CancellationToken ct)
    {
        CheckContext(request.EncryptionContext, "encryptionContext");
        if (request.Recipient is not null) throw Faults.RecipientUnsupported();
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        RequireSymmetricUse(key, withPlaintext ? "GenerateDataKeyPair" : "GenerateDataKeyPairWithoutPlaintext", null);
        var pairSpec = KeySpecInfo.Find(request.KeyPairSpec!) is { IsAsymmetric: true } found ? found
            : throw Faults.Unsupported($"KeyPairSpec {request.KeyPairSpec} is not supported by this server.");
        if (request.DryRun == true) throw Faults.DryRun();
        var (privateKey, publicKey) = await _keyPairs.RunAsync(pairSpec, () => AsymmetricKeys.Generate(pairSpec), ct);
        try
        {
            var (blob, materialId) = await SealAsync(caller, key, privateKey, request.EncryptionContext, ct);
            return new GenerateDataKeyPairResponse
            {
                PrivateKeyCiphertextBlob = blob,
                PrivateKeyPlaintext = withPlaintext ? privateKey : null,
                PublicKey = publicKey,
                KeyId = Arn(key),
                KeyPairSpec = pairSpec.Name,
                KeyMaterialId = materialId,
            };
        }
        finally
        {
            if (!withPlaintext) CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>ECDH between the KMS key's private key and a peer's public key on the same curve; returns the raw shared secret.</summary>
    public async ValueTask<DeriveSharedSecretResponse> DeriveSharedSecretAsync(Caller caller, DeriveSharedSecretRequest request, CancellationToken ct)
    {
        if (request.Recipient is not null) throw Faults.RecipientUnsupported();
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var spec = RequireUsage(key, KeySpecInfo.KeyAgreement, "DeriveSharedSecret");
        RequireAlgorithm(key, spec, request.KeyAgreementAlgorithm!);
        if (!AsymmetricKeys.IsPeerKeyFor(spec, request.PublicKey!))
            throw KmsException.Validation($"PublicKey is not a DER-encoded SubjectPublicKeyInfo of a point on the curve of key spec {key.KeySpec}.");
        var material = await CurrentMaterialAsync(key, ct);
        if (request.DryRun == true) throw Faults.DryRun();
        var secret = await keyStore.DeriveSharedSecretAsync(material, spec, request.PublicKey!, ct);
        return new DeriveSharedSecretResponse
        {
            KeyId = Arn(key),
            SharedSecret = secret,
            KeyAgreementAlgorithm = request.KeyAgreementAlgorithm,
            KeyOrigin = key.Origin,
        };
    }
}
