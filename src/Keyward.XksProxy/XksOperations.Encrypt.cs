using System.Security.Cryptography;
using Keyward.Protocol;
using Keyward.Protocol.Xks;

namespace Keyward.XksProxy;

internal sealed partial class XksOperations
{
    /// <summary>
    /// Encrypt: AES-GCM in the HSM under the external key, the AAD built as the specification recommends. With
    /// ciphertextDataIntegrityValueAlgorithm SHA_256 the response carries the CDIV, computed after encryption and
    /// followed by a test decryption (the specification's recommended order), so a corrupted result is never returned.
    /// </summary>
    public async ValueTask<XksEncryptResponse> EncryptAsync(string keyId, XksEncryptRequest request)
    {
        RequireGcm(request.EncryptionAlgorithm);
        if (request.Plaintext is not { } plaintext) throw new XksException(XksErrorName.ValidationException, "plaintext is required.");
        if (plaintext.Length > MaxPlaintext) throw new XksException(XksErrorName.UnsupportedOperationException, $"plaintext is limited to {MaxPlaintext} bytes here.");
        RequireAad(request.AdditionalAuthenticatedData);
        var cdiv = request.CiphertextDataIntegrityValueAlgorithm switch
        {
            null => false,
            "SHA_256" => true,
            var other => throw new XksException(XksErrorName.ValidationException, $"ciphertextDataIntegrityValueAlgorithm must be SHA_256, not {Printable(other)}."),
        };
        var aad = request.AdditionalAuthenticatedData ?? [];
        var hsmAad = XksCrypto.HsmAad(aad, []);
        var (iv, ciphertext, tag) = await store.EncryptAsync(keyId, plaintext, hsmAad);
        if (!cdiv) return new XksEncryptResponse(ciphertext, iv, tag);
        var value = Keyward.Protocol.Xks.XksIntegrity.Cdiv(aad, [], iv, ciphertext, tag);
        var check = await store.DecryptAsync(keyId, iv, ciphertext, tag, hsmAad);
        var same = ConstantTime.AreEqual(check, plaintext);
        CryptographicOperations.ZeroMemory(check);
        if (!same) throw new XksException(XksErrorName.InternalException, "The test decryption did not return the plaintext.");
        return new XksEncryptResponse(ciphertext, iv, tag) { CiphertextDataIntegrityValue = value };
    }
}
