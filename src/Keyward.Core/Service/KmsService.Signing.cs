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
        var input = Input(algorithm, request.Message!, request.MessageType);
        var material = await CurrentMaterialAsync(key, ct);
        if (request.DryRun == true) throw Faults.DryRun();
        var signature = await keyStore.SignAsync(material, spec, algorithm, input, ct);
        return new SignResponse { KeyId = Arn(key), Signature = signature, SigningAlgorithm = algorithm.Name };
    }

    public async ValueTask<VerifyResponse> VerifyAsync(Caller caller, VerifyRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var (_, algorithm) = RequireSigning(key, request.SigningAlgorithm!, "Verify");
        var input = Input(algorithm, request.Message!, request.MessageType);
        var material = await CurrentMaterialAsync(key, ct);
        if (request.DryRun == true) throw Faults.DryRun();
        if (!AsymmetricKeys.Verify(material.PublicKey!, algorithm, input, request.Signature)) throw Faults.InvalidSignature();
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
            EncapsulationAlgorithms = spec.EncapsulationAlgorithms(key.KeyUsage),
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
    /// The message as its MessageType says (RAW by default), checked against the algorithm's rules (the Sign API
    /// Reference): RSA and ECDSA take RAW or a DIGEST of the hash's length; ED25519_SHA_512 only RAW,
    /// ED25519_PH_SHA_512 only a 64-byte SHA-512 DIGEST; ML_DSA_SHAKE_256 RAW or a 64-byte EXTERNAL_MU. Signing from an
    /// external μ needs ML-DSA's internal sign (FIPS 204 Algorithm 7), which no library here exposes: refused, with
    /// ValidationException (Sign's and Verify's models list no UnsupportedOperationException, so SDKs could not name it).
    /// </summary>
    private static SigningInput Input(SigningAlgorithm algorithm, byte[] message, string? messageType)
    {
        var kind = messageType switch { null or "RAW" => MessageKind.Raw, "DIGEST" => MessageKind.Digest, _ => MessageKind.ExternalMu };
        var allowed = algorithm.Scheme switch
        {
            SignatureScheme.Ed25519 => kind == MessageKind.Raw,
            SignatureScheme.Ed25519ph => kind == MessageKind.Digest,
            SignatureScheme.MlDsa => kind != MessageKind.Digest,
            _ => kind != MessageKind.ExternalMu,
        };
        if (!allowed)
            throw KmsException.Validation($"MessageType {messageType ?? "RAW"} is not valid for signing algorithm {algorithm.Name}.");
        if (kind != MessageKind.Raw && message.Length != algorithm.DigestLength)
            throw kind == MessageKind.Digest ? Faults.DigestLength(algorithm.Name)
                : KmsException.Validation($"An EXTERNAL_MU message must be 64 bytes for signing algorithm {algorithm.Name}.");
        if (kind == MessageKind.ExternalMu)
            throw KmsException.Validation("This server does not sign or verify an EXTERNAL_MU message; use MessageType RAW with ML_DSA_SHAKE_256.");
        return new SigningInput(message, kind);
    }
}
