using Keyward.Core.Crypto;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

/// <summary>
/// Encapsulate and Decapsulate with ML-KEM keys (KeyUsage ENCAPSULATE_DECAPSULATE, algorithm ML_KEM): the 32-byte
/// shared secret of FIPS 203. Encapsulate needs only the public key, as anyone holding GetPublicKey's answer could do;
/// Decapsulate is the private key's one use.
/// </summary>
public sealed partial class KmsService
{
    public async ValueTask<EncapsulateResponse> EncapsulateAsync(Caller caller, EncapsulateRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var spec = RequireUsage(key, KeySpecInfo.EncapsulateDecapsulate, "Encapsulate");
        RequireAlgorithm(key, spec, request.EncapsulationAlgorithm!);
        var material = await CurrentMaterialAsync(key, ct);
        if (request.DryRun == true) throw Faults.DryRun();
        var (secret, ciphertext) = BouncyCastleKeys.Encapsulate(spec, material.PublicKey!);
        return new EncapsulateResponse
        {
            KeyId = Arn(key),
            SharedSecret = secret,
            SharedSecretCiphertextBlob = ciphertext,
            EncapsulationAlgorithm = request.EncapsulationAlgorithm,
        };
    }

    public async ValueTask<DecapsulateResponse> DecapsulateAsync(Caller caller, DecapsulateRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var spec = RequireUsage(key, KeySpecInfo.EncapsulateDecapsulate, "Decapsulate");
        RequireAlgorithm(key, spec, request.EncapsulationAlgorithm!);
        // A ciphertext of another length is not an encapsulation under this key (another ML-KEM size, or not one at all).
        var length = BouncyCastleKeys.EncapsulationLength(spec);
        if (request.SharedSecretCiphertextBlob!.Length != length)
            throw new KmsException(KmsErrorCode.InvalidCiphertextException,
                $"SharedSecretCiphertextBlob is not a {key.KeySpec} encapsulation ({length} bytes).");
        var material = await CurrentMaterialAsync(key, ct);
        if (request.DryRun == true) throw Faults.DryRun();
        var secret = await keyStore.DecapsulateAsync(material, spec, request.SharedSecretCiphertextBlob, ct);
        return new DecapsulateResponse { KeyId = Arn(key), SharedSecret = secret, EncapsulationAlgorithm = request.EncapsulationAlgorithm };
    }
}
