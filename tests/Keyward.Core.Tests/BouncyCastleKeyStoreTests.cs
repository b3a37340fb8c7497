using Keyward.Core.Crypto;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;

namespace Keyward.Core.Tests;

/// <summary>The software store's Ed25519, ML-DSA and ML-KEM material (BouncyCastle): sizes, round trips, tampering.</summary>
public sealed class BouncyCastleKeyStoreTests : IDisposable
{
    private const string KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-bc-store").FullName;
    private readonly FileSeal _seal;
    private readonly SoftwareKeyStore _store;

    public BouncyCastleKeyStoreTests()
    {
        _seal = FileSeal.Open(Path.Combine(_dir, "root.key"), create: true);
        _store = new SoftwareKeyStore(new RootKeyBarrier(_seal));
    }

    [Theory]
    [InlineData("ML_KEM_512", 768)]
    [InlineData("ML_KEM_768", 1088)]
    [InlineData("ML_KEM_1024", 1568)]
    public async Task ML_KEM_material_decapsulates_its_public_key_s_encapsulations(string name, int ciphertextBytes)
    {
        var spec = KeySpecInfo.Find(name)!;
        var m = _store.CreateMaterial(KeyId, spec, DateTimeOffset.UnixEpoch);
        var (secret, ciphertext) = BouncyCastleKeys.Encapsulate(spec, m.PublicKey!);
        Assert.Equal((32, ciphertextBytes), (secret.Length, ciphertext.Length));
        Assert.Equal(secret, await _store.DecapsulateAsync(m, spec, ciphertext, default));
        var e = await Assert.ThrowsAsync<KeyStoreException>(() => _store.DecapsulateAsync(m, spec, ciphertext[1..], default).AsTask());
        Assert.Equal(KeyStoreFailure.InvalidCiphertext, e.Failure);
    }

    [Theory]
    [InlineData("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", MessageKind.Raw, 64)]
    [InlineData("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", MessageKind.Digest, 64)]
    [InlineData("ML_DSA_44", "ML_DSA_SHAKE_256", MessageKind.Raw, 2420)]
    [InlineData("ML_DSA_87", "ML_DSA_SHAKE_256", MessageKind.Raw, 4627)]
    public async Task Signatures_verify_with_the_public_key_and_a_changed_one_does_not(string name, string algorithmName, MessageKind kind, int bytes)
    {
        var spec = KeySpecInfo.Find(name)!;
        var algorithm = SigningAlgorithm.Find(algorithmName)!;
        var m = _store.CreateMaterial(KeyId, spec, DateTimeOffset.UnixEpoch);
        var input = new SigningInput(new byte[64], kind);
        var signature = await _store.SignAsync(m, spec, algorithm, input, default);
        Assert.Equal(bytes, signature.Length);
        Assert.True(AsymmetricKeys.Verify(m.PublicKey!, algorithm, input, signature));
        signature[0] ^= 1;
        Assert.False(AsymmetricKeys.Verify(m.PublicKey!, algorithm, input, signature));
        Assert.False(AsymmetricKeys.Verify(m.PublicKey!, algorithm, input, signature[..10]));
        Assert.False(AsymmetricKeys.Verify([1, 2, 3], algorithm, input, signature));
    }

    public void Dispose()
    {
        _store.Dispose();
        _seal.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
