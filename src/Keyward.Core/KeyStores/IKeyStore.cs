using Keyward.Core.Keys;

namespace Keyward.Core.KeyStores;

/// <summary>
/// Where a key's material lives and where its cryptography happens (software store, HSM store,
/// external store). The service owns the ciphertext blob header; a store produces and consumes
/// only the payload after it, authenticating the AAD it is given. Failures are
/// <see cref="KeyStoreException"/>s with a <see cref="KeyStoreFailure"/>.
/// </summary>
internal interface IKeyStore
{
    /// <summary>Creates a new version of 256-bit symmetric material for <paramref name="keyId"/>.</summary>
    MaterialRecord CreateSymmetricMaterial(string keyId, DateTimeOffset now);

    ValueTask<byte[]> EncryptAsync(MaterialRecord material, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="KeyStoreException"/> with <see cref="KeyStoreFailure.InvalidCiphertext"/> on any authentication failure.</summary>
    ValueTask<byte[]> DecryptAsync(MaterialRecord material, ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken);

    /// <summary>Drops anything cached for the key (its material was deleted).</summary>
    void Forget(string keyId);
}
