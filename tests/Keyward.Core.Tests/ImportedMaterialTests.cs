using System.Security.Cryptography;
using Keyward.Core.Crypto;
using Keyward.Core.Import;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;

namespace Keyward.Core.Tests;

/// <summary>What imported material must look like, the id it gets, and the wrapping key pairs it arrives under.</summary>
public sealed class ImportedMaterialTests : IDisposable
{
    private const string KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-import").FullName;
    private readonly FileSeal _seal;
    private readonly RootKeyBarrier _barrier;

    public ImportedMaterialTests()
    {
        _seal = FileSeal.Open(Path.Combine(_dir, "root.key"), create: true);
        _barrier = new RootKeyBarrier(_seal);
    }

    [Theory]
    [InlineData("SYMMETRIC_DEFAULT", 31, false)]
    [InlineData("SYMMETRIC_DEFAULT", 32, true)]
    [InlineData("SYMMETRIC_DEFAULT", 33, false)]
    [InlineData("HMAC_224", 27, false)]
    [InlineData("HMAC_224", 28, true)]
    [InlineData("HMAC_224", 64, true)]
    [InlineData("HMAC_224", 65, false)]
    [InlineData("HMAC_256", 31, false)]
    [InlineData("HMAC_384", 48, true)]
    [InlineData("HMAC_384", 128, true)]
    [InlineData("HMAC_512", 63, false)]
    [InlineData("HMAC_512", 129, false)]
    public void Symmetric_and_HMAC_material_lengths_follow_AWS(string spec, int length, bool fits)
    {
        Assert.Equal(fits, ImportedMaterial.TryCanonicalize(KeySpecInfo.Find(spec)!, new byte[length], out var secret, out var publicKey));
        Assert.Null(publicKey);
        if (fits) Assert.Equal(length, secret.Length);
    }

    [Fact]
    public void A_private_key_must_be_of_the_spec_and_consistent()
    {
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = p256.ExportPkcs8PrivateKey();
        Assert.True(ImportedMaterial.TryCanonicalize(KeySpecInfo.Find("ECC_NIST_P256")!, pkcs8, out _, out var spki));
        Assert.Equal(p256.ExportSubjectPublicKeyInfo(), spki);
        Assert.False(ImportedMaterial.TryCanonicalize(KeySpecInfo.Find("ECC_NIST_P384")!, pkcs8, out _, out _));
        Assert.False(ImportedMaterial.TryCanonicalize(KeySpecInfo.Find("RSA_2048")!, pkcs8, out _, out _));
        Assert.False(ImportedMaterial.TryCanonicalize(KeySpecInfo.Find("ECC_NIST_P256")!, pkcs8[..^1], out _, out _));
        Assert.False(ImportedMaterial.TryCanonicalize(KeySpecInfo.Find("ECC_NIST_P256")!, [.. pkcs8, 0], out _, out _));

        // A PKCS#8 whose embedded public point (its last 65 bytes here) is another key's.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = other.ExportParameters(false).Q;
        var forged = pkcs8.ToArray();
        Assert.Equal(0x04, forged[^65]);
        q.X!.CopyTo(forged, forged.Length - 64);
        q.Y!.CopyTo(forged, forged.Length - 32);
        Assert.False(ImportedMaterial.TryCanonicalize(KeySpecInfo.Find("ECC_NIST_P256")!, forged, out _, out _));

        using var rsa = RSA.Create(2048);
        Assert.True(ImportedMaterial.TryCanonicalize(KeySpecInfo.Find("RSA_2048")!, rsa.ExportPkcs8PrivateKey(), out _, out var rsaSpki));
        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), rsaSpki);
        Assert.False(ImportedMaterial.TryCanonicalize(KeySpecInfo.Find("RSA_3072")!, rsa.ExportPkcs8PrivateKey(), out _, out _));
    }

    [Fact]
    public void The_same_material_gets_the_same_id_in_the_same_key_only()
    {
        using var store = new SoftwareKeyStore(_barrier);
        var spec = KeySpecInfo.Find("SYMMETRIC_DEFAULT")!;
        var material = RandomNumberGenerator.GetBytes(32);
        var first = store.ImportMaterial(KeyId, spec, material, DateTimeOffset.UnixEpoch);
        var again = store.ImportMaterial(KeyId, spec, material, DateTimeOffset.UnixEpoch);
        var elsewhere = store.ImportMaterial("00000000-0000-4000-8000-000000000000", spec, material, DateTimeOffset.UnixEpoch);
        var different = store.ImportMaterial(KeyId, spec, RandomNumberGenerator.GetBytes(32), DateTimeOffset.UnixEpoch);
        Assert.Equal(first.MaterialId, again.MaterialId);
        Assert.NotEqual(first.MaterialId, elsewhere.MaterialId);
        Assert.NotEqual(first.MaterialId, different.MaterialId);
        Assert.Matches("^[0-9a-f]{64}$", first.MaterialId);
        // Wrapped under the root key like generated material, never in the clear.
        Assert.Equal(-1, first.Wrapped.AsSpan().IndexOf(material.AsSpan(0, 16)));
        var e = Assert.Throws<KeyStoreException>(() => store.ImportMaterial(KeyId, spec, material[..16], DateTimeOffset.UnixEpoch));
        Assert.Equal(KeyStoreFailure.InvalidMaterial, e.Failure);
    }

    [Theory]
    [InlineData("RSAES_OAEP_SHA_1")]
    [InlineData("RSAES_OAEP_SHA_256")]
    [InlineData("RSA_AES_KEY_WRAP_SHA_1")]
    [InlineData("RSA_AES_KEY_WRAP_SHA_256")]
    public void Wrapping_keys_open_what_their_algorithm_wrapped_and_nothing_else(string algorithm)
    {
        var keys = new ImportWrappingKeys(_barrier);
        var (record, token, publicKey) = keys.Create(KeyId, "RSA_2048", algorithm, DateTimeOffset.UnixEpoch);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddHours(24), record.ValidTo);
        Assert.True(ImportToken.TryParse(token, out var tokenKey, out var tokenId));
        Assert.Equal((KeyId, record.TokenId), (tokenKey, tokenId));

        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
        Assert.Equal(2048, rsa.KeySize);
        var material = RandomNumberGenerator.GetBytes(48);
        var sha1 = algorithm.EndsWith("_SHA_1", StringComparison.Ordinal);
        byte[] Wrap(RSAEncryptionPadding padding)
        {
            if (!ImportWrappingKeys.IsKeyWrap(algorithm)) return rsa.Encrypt(material, padding);
            using var aes = Aes.Create();
            aes.Key = RandomNumberGenerator.GetBytes(32);
            return [.. rsa.Encrypt(aes.Key, padding), .. aes.EncryptKeyWrapPadded(material)];
        }
        Assert.Equal(material, keys.Unwrap(record, Wrap(sha1 ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256)));
        Assert.Null(keys.Unwrap(record, Wrap(sha1 ? RSAEncryptionPadding.OaepSHA256 : RSAEncryptionPadding.OaepSHA1)));
        var tampered = Wrap(sha1 ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256);
        tampered[^1] ^= 1;
        Assert.Null(keys.Unwrap(record, tampered));
        // The stored private key is bound to its row: under another token id it does not open.
        Assert.ThrowsAny<CryptographicException>(() => keys.Unwrap(record with { TokenId = new string('0', 64) }, tampered));
    }

    [Fact]
    public void Tokens_that_are_not_ours_do_not_parse()
    {
        var (_, token) = ImportToken.New(KeyId);
        Assert.False(ImportToken.TryParse(token[..^1], out _, out _));
        token[0] = 3;
        Assert.False(ImportToken.TryParse(token, out _, out _));
        // A Multi-Region key's token names its mrk- id.
        var (_, mrk) = ImportToken.New("mrk-1234abcd12ab34cd56ef1234567890ab");
        Assert.Equal(2, mrk[0]);
        Assert.True(ImportToken.TryParse(mrk, out var keyId, out _));
        Assert.Equal("mrk-1234abcd12ab34cd56ef1234567890ab", keyId);
    }

    public void Dispose()
    {
        _seal.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
