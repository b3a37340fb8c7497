using System.Security.Cryptography;
using Keyward.Core.Keys;
using Keyward.Core.Seal;

namespace Keyward.Core.KeyStores;

/// <summary>
/// The default key store: material is generated here and kept in the database wrapped by the
/// barrier. Each encryption derives a fresh AES-256-GCM key from the material and a 16-byte
/// random nonce with HKDF-SHA256, so a busy key never nears GCM's 2^32 random-IV bound.
/// Payload: nonce(16) ‖ iv(12) ‖ ciphertext ‖ tag(16).
/// </summary>
internal sealed class SoftwareKeyStore(RootKeyBarrier barrier) : IKeyStore, IDisposable
{
    public const int NonceSize = 16;
    private const int IvSize = 12;
    private const int TagSize = 16;
    private const int Overhead = NonceSize + IvSize + TagSize;
    private const string MaterialPurpose = "key-material";
    private static readonly byte[] DeriveInfo = "keyward/software-key-store/v1/aes-256-gcm"u8.ToArray();

    private readonly MaterialCache _cache = new();

    public MaterialRecord CreateSymmetricMaterial(string keyId, DateTimeOffset now)
    {
        var materialId = MaterialIds.New();
        Span<byte> material = stackalloc byte[32];
        RandomNumberGenerator.Fill(material);
        try
        {
            return new MaterialRecord(keyId, materialId, barrier.Wrap(material, MaterialPurpose, Identity(keyId, materialId)), now);
        }
        finally { CryptographicOperations.ZeroMemory(material); }
    }

    public ValueTask<byte[]> EncryptAsync(MaterialRecord material, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken)
    {
        var output = new byte[Overhead + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        var iv = output.AsSpan(NonceSize, IvSize);
        RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize + IvSize));
        Span<byte> derived = stackalloc byte[32];
        var lease = Lease(material);
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, lease.Key, derived, nonce, DeriveInfo);
            using var aes = new AesGcm(derived, TagSize);
            aes.Encrypt(iv, plaintext.Span, output.AsSpan(NonceSize + IvSize, plaintext.Length), output.AsSpan(output.Length - TagSize), aad.Span);
        }
        finally
        {
            lease.Dispose();
            CryptographicOperations.ZeroMemory(derived);
        }
        return ValueTask.FromResult(output);
    }

    public ValueTask<byte[]> DecryptAsync(MaterialRecord material, ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken)
    {
        var input = payload.Span;
        if (input.Length < Overhead) throw Invalid();
        var plaintext = new byte[input.Length - Overhead];
        Span<byte> derived = stackalloc byte[32];
        var lease = Lease(material);
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, lease.Key, derived, input[..NonceSize], DeriveInfo);
            using var aes = new AesGcm(derived, TagSize);
            aes.Decrypt(input.Slice(NonceSize, IvSize), input[(NonceSize + IvSize)..^TagSize], input[^TagSize..], plaintext, aad.Span);
            return ValueTask.FromResult(plaintext);
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw Invalid();
        }
        finally
        {
            lease.Dispose();
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    public void Forget(string keyId) => _cache.Retire(keyId);

    public void Dispose() => _cache.Dispose();

    private MaterialCache.Lease Lease(MaterialRecord material)
    {
        if (_cache.TryLease(material.KeyId, material.MaterialId, out var lease)) return lease;
        var key = GC.AllocateArray<byte>(32, pinned: true);
        if (RootKeyBarrier.UnwrappedSize(material.Wrapped) != 32 ||
            !barrier.TryUnwrap(material.Wrapped, MaterialPurpose, Identity(material.KeyId, material.MaterialId), key))
        {
            // The row does not open under this root key: the database was altered or the seal is wrong.
            throw new KeyStoreException(KeyStoreFailure.Internal, $"Key material {material.MaterialId} of key {material.KeyId} failed barrier authentication.");
        }
        return _cache.Add(material.KeyId, material.MaterialId, key);
    }

    private static string Identity(string keyId, string materialId) => $"{keyId}/{materialId}";

    private static KeyStoreException Invalid() => new(KeyStoreFailure.InvalidCiphertext, "Ciphertext failed authentication.");
}
