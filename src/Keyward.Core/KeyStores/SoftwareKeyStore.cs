using System.Security.Cryptography;
using Keyward.Core.Crypto;
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
    private readonly PrivateKeyPool _privateKeys = new();

    public MaterialRecord CreateMaterial(string keyId, KeySpecInfo spec, DateTimeOffset now)
    {
        var materialId = MaterialIds.New();
        var identity = Identity(keyId, materialId);
        if (spec.IsAsymmetric)
        {
            var (pkcs8, publicKey) = AsymmetricKeys.Generate(spec);
            try { return new MaterialRecord(keyId, materialId, barrier.Wrap(pkcs8, MaterialPurpose, identity), now, publicKey); }
            finally { CryptographicOperations.ZeroMemory(pkcs8); }
        }
        // Symmetric material is 256 bits; HMAC material is as long as the spec's digest.
        Span<byte> material = stackalloc byte[spec.Family == KeyFamily.Hmac ? spec.Bits / 8 : 32];
        RandomNumberGenerator.Fill(material);
        try { return new MaterialRecord(keyId, materialId, barrier.Wrap(material, MaterialPurpose, identity), now); }
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

    public ValueTask<byte[]> SignAsync(MaterialRecord material, KeySpecInfo spec, SigningAlgorithm algorithm, ReadOnlyMemory<byte> digest, CancellationToken cancellationToken)
    {
        if (spec.Family == KeyFamily.Rsa)
        {
            var rsa = _privateKeys.Rent(material.KeyId, material.MaterialId, () => Import(material, RSA.Create()), out var slot);
            try { return ValueTask.FromResult(rsa.SignHash(digest.Span, algorithm.Hash, algorithm.RsaPadding)); }
            finally { PrivateKeyPool.Return(slot, rsa); }
        }
        var ecdsa = _privateKeys.Rent(material.KeyId, material.MaterialId, () => Import(material, ECDsa.Create()), out var ecSlot);
        try { return ValueTask.FromResult(ecdsa.SignHash(digest.Span, DSASignatureFormat.Rfc3279DerSequence)); }
        finally { PrivateKeyPool.Return(ecSlot, ecdsa); }
    }

    public ValueTask<byte[]> DecryptRsaAsync(MaterialRecord material, KeySpecInfo spec, string algorithm, ReadOnlyMemory<byte> ciphertext, CancellationToken cancellationToken)
    {
        var padding = AsymmetricKeys.RsaEncryptionPadding(algorithm) ?? throw Invalid();
        var rsa = _privateKeys.Rent(material.KeyId, material.MaterialId, () => Import(material, RSA.Create()), out var slot);
        try { return ValueTask.FromResult(rsa.Decrypt(ciphertext.Span, padding)); }
        catch (CryptographicException) { throw Invalid(); }
        finally { PrivateKeyPool.Return(slot, rsa); }
    }

    public ValueTask<byte[]> GenerateMacAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        using var lease = Lease(material);
        var hash = spec.MacHash;
        var mac = new byte[spec.Bits / 8];
        if (hash == HashAlgorithmName.SHA256) HMACSHA256.HashData(lease.Key, message.Span, mac);
        else if (hash == HashAlgorithmName.SHA384) HMACSHA384.HashData(lease.Key, message.Span, mac);
        else if (hash == HashAlgorithmName.SHA512) HMACSHA512.HashData(lease.Key, message.Span, mac);
        else Keyward.OpenSsl.Hmac.Sha224(lease.Key, message.Span, mac);
        return ValueTask.FromResult(mac);
    }

    public ValueTask<byte[]> DeriveSharedSecretAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> peerPublicKey, CancellationToken cancellationToken)
    {
        using var peer = ECDiffieHellman.Create();
        peer.ImportSubjectPublicKeyInfo(peerPublicKey.Span, out _);
        var ecdh = _privateKeys.Rent(material.KeyId, material.MaterialId, () => Import(material, ECDiffieHellman.Create()), out var slot);
        try { return ValueTask.FromResult(ecdh.DeriveRawSecretAgreement(peer.PublicKey)); }
        finally { PrivateKeyPool.Return(slot, ecdh); }
    }

    public void Forget(string keyId)
    {
        _cache.Retire(keyId);
        _privateKeys.Retire(keyId);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _privateKeys.Dispose();
    }

    /// <summary>Opens the wrapped PKCS#8 into a scratch buffer, imports it into <paramref name="key"/>, and zeroes the buffer.</summary>
    private T Import<T>(MaterialRecord material, T key) where T : AsymmetricAlgorithm
    {
        var size = RootKeyBarrier.UnwrappedSize(material.Wrapped);
        var pkcs8 = GC.AllocateArray<byte>(size, pinned: true);
        try
        {
            if (size == 0 || !barrier.TryUnwrap(material.Wrapped, MaterialPurpose, Identity(material.KeyId, material.MaterialId), pkcs8))
                throw BarrierFailure(material);
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally { CryptographicOperations.ZeroMemory(pkcs8); }
    }

    private MaterialCache.Lease Lease(MaterialRecord material)
    {
        if (_cache.TryLease(material.KeyId, material.MaterialId, out var lease)) return lease;
        var size = RootKeyBarrier.UnwrappedSize(material.Wrapped);
        var key = GC.AllocateArray<byte>(size, pinned: true);
        if (size == 0 || !barrier.TryUnwrap(material.Wrapped, MaterialPurpose, Identity(material.KeyId, material.MaterialId), key))
            throw BarrierFailure(material);
        return _cache.Add(material.KeyId, material.MaterialId, key);
    }

    /// <summary>The row does not open under this root key: the database was altered or the seal is wrong.</summary>
    private static KeyStoreException BarrierFailure(MaterialRecord material) =>
        new(KeyStoreFailure.Internal, $"Key material {material.MaterialId} of key {material.KeyId} failed barrier authentication.");

    private static string Identity(string keyId, string materialId) => $"{keyId}/{materialId}";

    private static KeyStoreException Invalid() => new(KeyStoreFailure.InvalidCiphertext, "Ciphertext failed authentication.");
}
