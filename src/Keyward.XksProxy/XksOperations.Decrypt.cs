using Keyward.Protocol.Xks;

namespace Keyward.XksProxy;

internal sealed partial class XksOperations
{
    /// <summary>Decrypt: any failure to authenticate is InvalidCiphertextException, without detail.</summary>
    public async ValueTask<XksDecryptResponse> DecryptAsync(string keyId, XksDecryptRequest request)
    {
        RequireGcm(request.EncryptionAlgorithm);
        if (request.Ciphertext is not { } ciphertext || request.InitializationVector is not { } iv || request.AuthenticationTag is not { } tag)
            throw new XksException(XksErrorName.ValidationException, "ciphertext, initializationVector and authenticationTag are required.");
        if (ciphertext.Length > MaxPlaintext) throw new XksException(XksErrorName.UnsupportedOperationException, $"ciphertext is limited to {MaxPlaintext} bytes here.");
        RequireAad(request.AdditionalAuthenticatedData);
        var metadata = request.CiphertextMetadata ?? [];
        if (metadata.Length > XksCrypto.MaxMetadata || iv.Length is not (12 or 16) || tag.Length != ExternalKeyStore.TagSize)
            throw new XksException(XksErrorName.InvalidCiphertextException, "The ciphertext, IV, AAD or authentication tag is invalid.");
        var hsmAad = XksCrypto.HsmAad(request.AdditionalAuthenticatedData ?? [], metadata);
        return new XksDecryptResponse(await store.DecryptAsync(keyId, iv, ciphertext, tag, hsmAad));
    }
}
