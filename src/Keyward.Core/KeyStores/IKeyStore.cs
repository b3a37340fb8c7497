using Keyward.Core.Crypto;
using Keyward.Core.Keys;

namespace Keyward.Core.KeyStores;

/// <summary>
/// Where a key's material lives and where its cryptography happens (software store, HSM store,
/// external store). The service owns the ciphertext blob header; a store produces and consumes
/// only the payload after it, authenticating the AAD it is given. Operations that need only a
/// public key (Verify, RSA encryption) run in the service on <see cref="MaterialRecord.PublicKey"/>.
/// Failures are <see cref="KeyStoreException"/>s with a <see cref="KeyStoreFailure"/>; a store
/// that does not hold a kind of key answers <see cref="KeyStoreFailure.Unsupported"/>.
/// </summary>
public interface IKeyStore
{
    /// <summary>Creates a new material version of <paramref name="spec"/> for <paramref name="keyId"/>.</summary>
    MaterialRecord CreateMaterial(string keyId, KeySpecInfo spec, DateTimeOffset now);

    /// <summary>
    /// Takes customer material (BYOK) for <paramref name="keyId"/> and holds it like generated
    /// material. Material that does not fit <paramref name="spec"/> is
    /// <see cref="KeyStoreFailure.InvalidMaterial"/>. The material id is derived from the material,
    /// so the same material always becomes the same version.
    /// </summary>
    MaterialRecord ImportMaterial(string keyId, KeySpecInfo spec, ReadOnlySpan<byte> material, DateTimeOffset now);

    ValueTask<byte[]> EncryptAsync(MaterialRecord material, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="EncryptAsync(MaterialRecord, ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, CancellationToken)"/> with the
    /// payload written after <paramref name="headroom"/> bytes that the caller fills in (the blob's header), so the blob
    /// is not copied once more. A store that cannot write in place copies here.
    /// </summary>
    async ValueTask<byte[]> EncryptAsync(MaterialRecord material, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, int headroom,
        CancellationToken cancellationToken)
    {
        var payload = await EncryptAsync(material, plaintext, aad, cancellationToken);
        var output = new byte[headroom + payload.Length];
        payload.CopyTo(output, headroom);
        return output;
    }

    /// <summary>Throws <see cref="KeyStoreException"/> with <see cref="KeyStoreFailure.InvalidCiphertext"/> on any authentication failure.</summary>
    ValueTask<byte[]> DecryptAsync(MaterialRecord material, ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken);

    /// <summary>
    /// Signs the message as its <see cref="SigningInput.Kind"/> says: the store hashes a RAW message for RSA and ECDSA,
    /// signs it as it is for Ed25519 and ML-DSA, and signs a DIGEST as the prehash (the service checked its length).
    /// </summary>
    ValueTask<byte[]> SignAsync(MaterialRecord material, KeySpecInfo spec, SigningAlgorithm algorithm, SigningInput input, CancellationToken cancellationToken);

    /// <summary>ML-KEM decapsulation; a ciphertext of the wrong length is <see cref="KeyStoreFailure.InvalidCiphertext"/>.</summary>
    ValueTask<byte[]> DecapsulateAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> ciphertext, CancellationToken cancellationToken);

    /// <summary>RSAES-OAEP decryption; any failure is <see cref="KeyStoreFailure.InvalidCiphertext"/>.</summary>
    ValueTask<byte[]> DecryptRsaAsync(MaterialRecord material, KeySpecInfo spec, string algorithm, ReadOnlyMemory<byte> ciphertext, CancellationToken cancellationToken);

    /// <summary>HMAC of <paramref name="message"/> with the hash of the HMAC spec.</summary>
    ValueTask<byte[]> GenerateMacAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>The raw ECDH shared secret (the x-coordinate, SEC 1 §3.3.1) with a peer's DER public key on the same curve.</summary>
    ValueTask<byte[]> DeriveSharedSecretAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> peerPublicKey, CancellationToken cancellationToken);

    /// <summary>
    /// The same material version held for another key row (a Multi-Region key's replica, stored as <paramref name="keyId"/>):
    /// same id, secret and public key, sealed for its new row. Only the software store holds Multi-Region keys.
    /// </summary>
    MaterialRecord CopyMaterial(MaterialRecord material, string keyId) =>
        throw new KeyStoreException(KeyStoreFailure.Unsupported, "This key store does not hold Multi-Region keys.");

    /// <summary>Drops anything cached for the key (its material was deleted).</summary>
    void Forget(string keyId);
}
