using System.Security.Cryptography;
using Keyward.Core.Crypto;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;

namespace Keyward.Core.Tests;

/// <summary>The software store's RSA, ECC and HMAC material: what is stored, and that the operations are the standard ones.</summary>
public sealed class AsymmetricKeyStoreTests : IDisposable
{
    private const string KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-store").FullName;
    private readonly FileSeal _seal;
    private readonly RootKeyBarrier _barrier;
    private readonly SoftwareKeyStore _store;

    public AsymmetricKeyStoreTests()
    {
        _seal = FileSeal.Open(Path.Combine(_dir, "root.key"), create: true);
        _barrier = new RootKeyBarrier(_seal);
        _store = new SoftwareKeyStore(_barrier);
    }

    /// <summary>What the barrier holds for a material version, opened the way the store opens it.</summary>
    private byte[] Unwrap(MaterialRecord m)
    {
        var buffer = new byte[RootKeyBarrier.UnwrappedSize(m.Wrapped)];
        Assert.True(_barrier.TryUnwrap(m.Wrapped, "key-material", $"{m.KeyId}/{m.MaterialId}", buffer));
        return buffer;
    }

    [Theory]
    [InlineData("HMAC_224", 28)]
    [InlineData("HMAC_256", 32)]
    [InlineData("HMAC_384", 48)]
    [InlineData("HMAC_512", 64)]
    public async Task HMAC_material_has_the_digest_length_and_macs_are_standard_HMAC(string spec, int length)
    {
        var info = KeySpecInfo.Find(spec)!;
        var m = _store.CreateMaterial(KeyId, info, DateTimeOffset.UnixEpoch);
        Assert.Null(m.PublicKey);
        var key = Unwrap(m);
        Assert.Equal(length, key.Length);
        var message = "abc"u8.ToArray();
        var mac = await _store.GenerateMacAsync(m, info, message, default);
        var expected = length switch
        {
            28 => Sha224(key, message),
            32 => HMACSHA256.HashData(key, message),
            48 => HMACSHA384.HashData(key, message),
            _ => HMACSHA512.HashData(key, message),
        };
        Assert.Equal(expected, mac);
    }

    private static byte[] Sha224(byte[] key, byte[] message)
    {
        var mac = new byte[28];
        Keyward.OpenSsl.Hmac.Sha224(key, message, mac);
        return mac;
    }

    [Theory]
    [InlineData("RSA_2048")]
    [InlineData("ECC_NIST_P256")]
    [InlineData("ECC_SECG_P256K1")]
    public void Asymmetric_material_is_the_wrapped_PKCS8_of_the_stored_public_key(string spec)
    {
        var m = _store.CreateMaterial(KeyId, KeySpecInfo.Find(spec)!, DateTimeOffset.UnixEpoch);
        var pkcs8 = Unwrap(m);
        using AsymmetricAlgorithm key = spec.StartsWith("RSA", StringComparison.Ordinal) ? RSA.Create() : ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        Assert.Equal(m.PublicKey, key.ExportSubjectPublicKeyInfo());
        // Nothing of the private key is in the clear on the row.
        Assert.Equal(-1, m.Wrapped.AsSpan().IndexOf(pkcs8.AsSpan(pkcs8.Length - 16)));
    }

    [Fact]
    public async Task Signing_keeps_working_after_the_key_is_forgotten_and_concurrent_signers_get_their_own_objects()
    {
        var spec = KeySpecInfo.Find("ECC_NIST_P256")!;
        var algorithm = SigningAlgorithm.Find("ECDSA_SHA_256")!;
        var m = _store.CreateMaterial(KeyId, spec, DateTimeOffset.UnixEpoch);
        var digest = new SigningInput(SHA256.HashData("x"u8), MessageKind.Digest);
        var signatures = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => _store.SignAsync(m, spec, algorithm, digest, default).AsTask())));
        Assert.All(signatures, s => Assert.True(AsymmetricKeys.Verify(m.PublicKey!, algorithm, digest, s)));
        _store.Forget(KeyId);
        var after = await _store.SignAsync(m, spec, algorithm, digest, default);
        Assert.True(AsymmetricKeys.Verify(m.PublicKey!, algorithm, digest, after));
    }

    [Fact]
    public async Task A_swapped_material_row_fails_barrier_authentication()
    {
        var spec = KeySpecInfo.Find("RSA_2048")!;
        var m = _store.CreateMaterial(KeyId, spec, DateTimeOffset.UnixEpoch);
        var moved = m with { MaterialId = MaterialIds.New() };
        var e = await Assert.ThrowsAsync<KeyStoreException>(() =>
            _store.SignAsync(moved, spec, SigningAlgorithm.Find("RSASSA_PSS_SHA_256")!, new SigningInput(new byte[32], MessageKind.Digest), default).AsTask());
        Assert.Equal(KeyStoreFailure.Internal, e.Failure);
    }

    public void Dispose()
    {
        _store.Dispose();
        _seal.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
