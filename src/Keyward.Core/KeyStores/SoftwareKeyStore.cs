using System.Security.Cryptography;
using Keyward.Core.Crypto;
using Keyward.Core.Keys;
using Keyward.Core.Seal;
using Keyward.OpenSsl;

namespace Keyward.Core.KeyStores;

/// <summary>
/// The default key store: material is generated here and kept in the database wrapped by the
/// barrier. Each encryption derives a fresh AES-256-GCM key from the material and a 16-byte
/// random nonce with HKDF-SHA256, so a busy key never nears GCM's 2^32 random-IV bound. Both run on libcrypto's
/// explicitly fetched algorithms (Keyward.OpenSsl), the same bytes as the BCL's HKDF and AesGcm at less cost.
/// Payload: nonce(16) ‖ iv(12) ‖ ciphertext ‖ tag(16).
/// </summary>
public sealed class SoftwareKeyStore(RootKeyBarrier barrier) : IKeyStore, IDisposable
{
    public const int NonceSize = 16;
    private const int IvSize = 12;
    private const int TagSize = 16;
    private const int Overhead = NonceSize + IvSize + TagSize;
    internal const string MaterialPurpose = "key-material";
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

    public MaterialRecord ImportMaterial(string keyId, KeySpecInfo spec, ReadOnlySpan<byte> material, DateTimeOffset now)
    {
        if (!ImportedMaterial.TryCanonicalize(spec, material, out var secret, out var publicKey))
            throw new KeyStoreException(KeyStoreFailure.InvalidMaterial, $"Imported key material does not fit key spec {spec.Name}.");
        try
        {
            // Derived from the key id clients see, so the same material imported into each replica of a Multi-Region key
            // gets the same id (its ciphertexts name it) whichever replica's row holds it.
            var materialId = ImportedMaterial.MaterialId(KeyIds.PublicId(keyId), publicKey ?? secret);
            return new MaterialRecord(keyId, materialId, barrier.Wrap(secret, MaterialPurpose, Identity(keyId, materialId)), now, publicKey);
        }
        finally { CryptographicOperations.ZeroMemory(secret); }
    }

    public MaterialRecord CopyMaterial(MaterialRecord material, string keyId)
    {
        // Material without its secret (imported, deleted or expired) is copied as it is: the replica imports its own.
        if (material.Wrapped is null) return material with { KeyId = keyId };
        var clear = Unwrap(material);
        try { return material with { KeyId = keyId, Wrapped = barrier.Wrap(clear, MaterialPurpose, Identity(keyId, material.MaterialId)) }; }
        finally { CryptographicOperations.ZeroMemory(clear); }
    }

    public ValueTask<byte[]> EncryptAsync(MaterialRecord material, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken) =>
        EncryptAsync(material, plaintext, aad, headroom: 0, cancellationToken);

    public ValueTask<byte[]> EncryptAsync(MaterialRecord material, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, int headroom,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        var blob = new byte[headroom + Overhead + plaintext.Length];
        var output = blob.AsSpan(headroom);
        var nonce = output[..NonceSize];
        var iv = output.Slice(NonceSize, IvSize);
        // The nonce and IV are written in the clear in the blob: public once used (PublicRandom), unlike the material.
        PublicRandom.Fill(output[..(NonceSize + IvSize)]);
        Span<byte> derived = stackalloc byte[32];
        var lease = Lease(material);
        try
        {
            HkdfSha256.DeriveKey(lease.Key, derived, nonce, DeriveInfo);
            Aes256Gcm.Encrypt(derived, iv, plaintext.Span, output.Slice(NonceSize + IvSize, plaintext.Length), output[^TagSize..], aad.Span);
        }
        finally
        {
            lease.Dispose();
            CryptographicOperations.ZeroMemory(derived);
        }
        return ValueTask.FromResult(blob);
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
            HkdfSha256.DeriveKey(lease.Key, derived, input[..NonceSize], DeriveInfo);
            // TryDecrypt zeroes what it wrote when the tag does not authenticate.
            if (!Aes256Gcm.TryDecrypt(derived, input.Slice(NonceSize, IvSize), input[(NonceSize + IvSize)..^TagSize], input[^TagSize..], plaintext, aad.Span))
                throw Invalid();
            return ValueTask.FromResult(plaintext);
        }
        finally
        {
            lease.Dispose();
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    public ValueTask<byte[]> SignAsync(MaterialRecord material, KeySpecInfo spec, SigningAlgorithm algorithm, SigningInput input, CancellationToken cancellationToken) =>
        ValueTask.FromResult(spec.Family switch
        {
            KeyFamily.Rsa => WithPrivateKey(material, RSA.Create, rsa => rsa.SignHash(input.Digest(algorithm), algorithm.Hash, algorithm.RsaPadding)),
            KeyFamily.Ecc => WithPrivateKey(material, ECDsa.Create, ec => ec.SignHash(input.Digest(algorithm), DSASignatureFormat.Rfc3279DerSequence)),
            _ => BouncyCastleKeys.Sign(BouncyCastleKey(material, spec), algorithm, input),
        });

    public ValueTask<byte[]> DecapsulateAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> ciphertext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(BouncyCastleKeys.Decapsulate(BouncyCastleKey(material, spec), spec, ciphertext.Span) ?? throw Invalid());

    public ValueTask<byte[]> DecryptRsaAsync(MaterialRecord material, KeySpecInfo spec, string algorithm, ReadOnlyMemory<byte> ciphertext, CancellationToken cancellationToken)
    {
        var padding = AsymmetricKeys.RsaEncryptionPadding(algorithm) ?? throw Invalid();
        try { return ValueTask.FromResult(WithPrivateKey(material, RSA.Create, rsa => rsa.Decrypt(ciphertext.Span, padding))); }
        catch (Exception e) when (MalformedInput.Is(e)) { throw Invalid(); }
    }

    public ValueTask<byte[]> GenerateMacAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        using var lease = Lease(material);
        var mac = new byte[spec.Bits / 8];
        // The BCL has every HMAC AWS offers but HMAC-SHA-224 (it has no SHA-224).
        if (spec.Bits == 224) Keyward.OpenSsl.Hmac.Sha224(lease.Key, message.Span, mac);
        else if (spec.Bits == 256) HmacSha256.Compute(lease.Key, message.Span, mac);
        else CryptographicOperations.HmacData(spec.MacHash, lease.Key, message.Span, mac);
        return ValueTask.FromResult(mac);
    }

    public ValueTask<byte[]> DeriveSharedSecretAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> peerPublicKey, CancellationToken cancellationToken)
    {
        using var peer = ECDiffieHellman.Create();
        peer.ImportSubjectPublicKeyInfo(peerPublicKey.Span, out _);
        using var peerKey = peer.PublicKey;
        return ValueTask.FromResult(WithPrivateKey(material, ECDiffieHellman.Create, ecdh => ecdh.DeriveRawSecretAgreement(peerKey)));
    }

    public void Forget(string keyId)
    {
        _cache.Retire(keyId);
        _privateKeys.Retire(keyId);
        foreach (var k in _bouncyCastleKeys.Keys)
            if (k.KeyId == keyId) _bouncyCastleKeys.TryRemove(k, out _);
    }

    /// <summary>
    /// Parsed Ed25519, ML-DSA and ML-KEM private keys by (key id, material id): BouncyCastle's key objects are immutable
    /// and may be used from several threads at once, so one per material serves every request (ML-DSA's and ML-KEM's
    /// expansion from the seed is the costly part of a parse). Their key bytes cannot be zeroed; the PKCS#8 is.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string KeyId, string MaterialId), Org.BouncyCastle.Crypto.AsymmetricKeyParameter>
        _bouncyCastleKeys = new();

    private Org.BouncyCastle.Crypto.AsymmetricKeyParameter BouncyCastleKey(MaterialRecord material, KeySpecInfo spec) =>
        _bouncyCastleKeys.GetOrAdd((material.KeyId, material.MaterialId), _ =>
        {
            var pkcs8 = Unwrap(material);
            try { return BouncyCastleKeys.PrivateKey(spec, pkcs8) ?? throw BarrierFailure(material); }
            finally { CryptographicOperations.ZeroMemory(pkcs8); }
        });

    public void Dispose()
    {
        _cache.Dispose();
        _privateKeys.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="use"/> on a private-key object of the material, rented from the pool
    /// (a key's usage fixes its object type: RSA, ECDsa or ECDiffieHellman) or imported from the
    /// wrapped PKCS#8, whose clear copy is zeroed at once.
    /// </summary>
    private TResult WithPrivateKey<TKey, TResult>(MaterialRecord material, Func<TKey> create, Func<TKey, TResult> use) where TKey : AsymmetricAlgorithm
    {
        var key = _privateKeys.Rent(material.KeyId, material.MaterialId, () =>
        {
            var pkcs8 = Unwrap(material);
            var created = create();
            try
            {
                created.ImportPkcs8PrivateKey(pkcs8, out _);
                return created;
            }
            catch
            {
                created.Dispose();
                throw;
            }
            finally { CryptographicOperations.ZeroMemory(pkcs8); }
        }, out var slot);
        try { return use(key); }
        finally { PrivateKeyPool.Return(slot, key); }
    }

    private MaterialCache.Lease Lease(MaterialRecord material) =>
        _cache.TryLease(material.KeyId, material.MaterialId, out var lease) ? lease : _cache.Add(material.KeyId, material.MaterialId, Unwrap(material));

    /// <summary>The material in the clear, in a pinned array the caller owns and zeroes (or hands to the cache).</summary>
    private byte[] Unwrap(MaterialRecord material)
    {
        // Deleted or expired imported material; the service refuses such keys by their state first.
        if (material.Wrapped is null) throw new KeyStoreException(KeyStoreFailure.NotFound, $"Key material {material.MaterialId} of key {material.KeyId} is not imported.");
        var size = RootKeyBarrier.UnwrappedSize(material.Wrapped);
        var clear = GC.AllocateArray<byte>(size, pinned: true);
        if (size > 0 && barrier.TryUnwrap(material.Wrapped, MaterialPurpose, Identity(material.KeyId, material.MaterialId), clear)) return clear;
        CryptographicOperations.ZeroMemory(clear);
        throw BarrierFailure(material);
    }

    /// <summary>The row does not open under this root key: the database was altered or the seal is wrong.</summary>
    private static KeyStoreException BarrierFailure(MaterialRecord material) =>
        new(KeyStoreFailure.Internal, $"Key material {material.MaterialId} of key {material.KeyId} failed barrier authentication.");

    internal static string Identity(string keyId, string materialId) => $"{keyId}/{materialId}";

    private static KeyStoreException Invalid() => new(KeyStoreFailure.InvalidCiphertext, "Ciphertext failed authentication.");
}
