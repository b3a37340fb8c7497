using Keyward.Core.Crypto;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    public async ValueTask<SignResponse> SignAsync(Caller caller, SignRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var (spec, algorithm) = RequireSigning(key, request.SigningAlgorithm!, "Sign");
        var digest = Digest(algorithm, request.Message!, request.MessageType);
        var material = await CurrentMaterialAsync(key, ct);
        if (request.DryRun == true) throw Faults.DryRun();
        var signature = await keyStore.SignAsync(material, spec, algorithm, digest, ct);
        return new SignResponse { KeyId = Arn(key), Signature = signature, SigningAlgorithm = algorithm.Name };
    }

    public async ValueTask<VerifyResponse> VerifyAsync(Caller caller, VerifyRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var (_, algorithm) = RequireSigning(key, request.SigningAlgorithm!, "Verify");
        var digest = Digest(algorithm, request.Message!, request.MessageType);
        var material = await CurrentMaterialAsync(key, ct);
        if (request.DryRun == true) throw Faults.DryRun();
        if (!AsymmetricKeys.Verify(material.PublicKey!, algorithm, digest, request.Signature)) throw Faults.InvalidSignature();
        return new VerifyResponse { KeyId = Arn(key), SignatureValid = true, SigningAlgorithm = algorithm.Name };
    }

    public async ValueTask<GetPublicKeyResponse> GetPublicKeyAsync(Caller caller, GetPublicKeyRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var spec = Spec(key);
        if (key.State != KeyState.Enabled) throw Faults.WrongState(Arn(key), key.State);
        if (!spec.IsAsymmetric)
            throw Faults.Unsupported($"{Arn(key)} key spec is {key.KeySpec}, which has no public key.");
        var material = await CurrentMaterialAsync(key, ct);
        return new GetPublicKeyResponse
        {
            KeyId = Arn(key),
            PublicKey = material.PublicKey,
            CustomerMasterKeySpec = key.KeySpec,
            KeySpec = key.KeySpec,
            KeyUsage = key.KeyUsage,
            EncryptionAlgorithms = spec.EncryptionAlgorithms(key.KeyUsage),
            SigningAlgorithms = spec.SigningAlgorithms(key.KeyUsage),
            KeyAgreementAlgorithms = spec.KeyAgreementAlgorithms(key.KeyUsage),
        };
    }

    /// <summary>An enabled SIGN_VERIFY key and a signing algorithm its spec supports.</summary>
    private (KeySpecInfo Spec, SigningAlgorithm Algorithm) RequireSigning(KeyRecord key, string algorithmName, string operation)
    {
        var spec = RequireUsage(key, KeySpecInfo.SignVerify, operation);
        RequireAlgorithm(key, spec, algorithmName);
        return (spec, SigningAlgorithm.Find(algorithmName) ?? throw Faults.IncompatibleAlgorithm(algorithmName, key.KeySpec));
    }

    /// <summary>
    /// The digest to sign: a RAW message (the default) is hashed with the algorithm's hash; a
    /// DIGEST must already have exactly that hash's length and is used as is. EXTERNAL_MU
    /// belongs to ML-DSA, which Keyward does not implement.
    /// </summary>
    private static byte[] Digest(SigningAlgorithm algorithm, byte[] message, string? messageType) => messageType switch
    {
        null or "RAW" => algorithm.HashMessage(message),
        "DIGEST" when message.Length == algorithm.DigestLength => message,
        "DIGEST" => throw Faults.DigestLength(algorithm.Name),
        _ => throw KmsException.Validation($"MessageType {messageType} is not valid for signing algorithm {algorithm.Name}."),
    };
}
