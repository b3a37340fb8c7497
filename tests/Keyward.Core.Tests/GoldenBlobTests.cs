using System.Text;
using Keyward.Core.Crypto;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;

namespace Keyward.Core.Tests;

/// <summary>
/// Ciphertexts produced by Keyward's first release. Every later version must keep decrypting
/// them exactly: they pin the blob format, the barrier format, the context encoding and the
/// key derivation. Never regenerate these; add new ones next to them.
/// </summary>
public sealed class GoldenBlobTests
{
    private const string KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private const string MaterialId = "545248bc6c64a125557478c647d89f0d7a325568c2e9ee45925723663b61f76b";
    // Material wrapped under the root key 00 01 02 ... 1f (file seal) with barrier v1.
    private const string WrappedMaterial = "01a8650cb9b8b60f600323e3043b28c54f10e1e6153c759d2b9c46abbef66fbd5a7cb522d105d59a14c82092094b3626958274838e227dfa3a031fb951";
    // Blob format v1 of "Keyward golden plaintext v1" under context {purpose: golden, tenant: acme}.
    private const string GoldenBlobV1 = "011234abcd12ab34cd56ef1234567890ab545248bc6c64a125557478c647d89f0d7a325568c2e9ee45925723663b61f76b1fdbdb4b64d4ed1448e88245101b59c361f64d08d0d50e877d2837d07c83e9d66a4d5d100c0bc94dd9ae6c7c145d9219bf93749c8c0cc2a4a64aec133c15e0b7e69187406def5d";

    // A Multi-Region key's blob (format 0x02, the first written by the release with Regions): the same material version
    // sealed for the key's rows in two Regions, each bound to its own storage id, and one blob both open.
    private const string MultiRegionKeyId = "mrk-1234abcd12ab34cd56ef1234567890ab";
    private const string MultiRegionMaterialId = "3c64847409dc486dad170990ad33dc9b8276ebd530ca3052d7b8e26a7180c9c6";
    private const string MultiRegionMaterialEast = "01d587c7c495fa600873814101bb6031de93be127e49c9d36b9a7efb807c2680f1d094235827c983fbebb7d940838a1905046c928c6f884a1c0e9744c8";
    private const string MultiRegionMaterialWest = "01c9bf9873997257c8794f9fc5fabe73ab495b540a0c39cb7554e9d00d2e46fa9decd6c2a4b993ab7ede716c73da89a8f3d2559729699c36a652e53ed5";
    // "Keyward golden plaintext v1 multi-Region" under the same context.
    private const string GoldenBlobV1MultiRegion = "021234abcd12ab34cd56ef1234567890ab3c64847409dc486dad170990ad33dc9b8276ebd530ca3052d7b8e26a7180c9c6948fd443ca099ae13173919b642ee93295492ebaae6dee81e0a209fa986928d34e1e15583c1e2f480bdfaba4f2cf8b6c2593344b6039331413deb4d16b5b19a98937bae38dec4a40457601999e00c8b50def7fab";

    private static readonly Dictionary<string, string> Context = new() { ["tenant"] = "acme", ["purpose"] = "golden" };

    [Fact]
    public async Task Format_v1_blob_still_decrypts()
    {
        using var fixture = new Fixture();
        var plaintext = await fixture.DecryptAsync(Convert.FromHexString(GoldenBlobV1), Context);
        Assert.Equal("Keyward golden plaintext v1", Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public void Format_v1_header_is_as_documented()
    {
        var blob = Convert.FromHexString(GoldenBlobV1);
        Assert.True(CiphertextBlob.TryParse(blob, out var parsed));
        Assert.Equal(0x01, blob[0]);
        Assert.Equal(KeyId, parsed.KeyId);
        Assert.Equal(MaterialId, parsed.MaterialId);
        // header 49 + nonce 16 + iv 12 + plaintext 27 + tag 16
        Assert.Equal(49 + 16 + 12 + 27 + 16, blob.Length);
    }

    [Fact]
    public async Task Format_v1_multi_region_blob_decrypts_under_every_region_of_its_key()
    {
        using var fixture = new Fixture();
        var blob = Convert.FromHexString(GoldenBlobV1MultiRegion);
        Assert.Equal(CiphertextBlob.FormatV1MultiRegion, blob[0]);
        Assert.True(CiphertextBlob.TryParse(blob, out var parsed));
        Assert.Equal((MultiRegionKeyId, MultiRegionMaterialId), (parsed.KeyId, parsed.MaterialId));
        foreach (var (region, wrapped) in new[] { ("us-east-1", MultiRegionMaterialEast), ("eu-west-1", MultiRegionMaterialWest) })
        {
            var material = new MaterialRecord(KeyIds.StorageId(MultiRegionKeyId, region), MultiRegionMaterialId, Convert.FromHexString(wrapped),
                DateTimeOffset.UnixEpoch);
            var plaintext = await fixture.DecryptAsync(blob, Context, material);
            Assert.Equal("Keyward golden plaintext v1 multi-Region", Encoding.UTF8.GetString(plaintext));
        }
        // Each Region's sealed copy opens only as its own row (a fresh store: the first has the material cached).
        using var fresh = new Fixture();
        var swapped = new MaterialRecord(KeyIds.StorageId(MultiRegionKeyId, "eu-west-1"), MultiRegionMaterialId,
            Convert.FromHexString(MultiRegionMaterialEast), DateTimeOffset.UnixEpoch);
        var e = await Assert.ThrowsAsync<KeyStoreException>(() => fresh.DecryptAsync(blob, Context, swapped).AsTask());
        Assert.Equal(KeyStoreFailure.Internal, e.Failure);
    }

    [Fact]
    public async Task Golden_blob_fails_with_another_context()
    {
        using var fixture = new Fixture();
        var other = new Dictionary<string, string>(Context) { ["tenant"] = "Acme" };
        var e = await Assert.ThrowsAsync<KeyStoreException>(() => fixture.DecryptAsync(Convert.FromHexString(GoldenBlobV1), other).AsTask());
        Assert.Equal(KeyStoreFailure.InvalidCiphertext, e.Failure);
    }

    [Fact]
    public async Task Every_single_bit_flip_is_detected()
    {
        using var fixture = new Fixture();
        var blob = Convert.FromHexString(GoldenBlobV1);
        for (var i = CiphertextBlob.HeaderSize; i < blob.Length; i++)
        {
            var copy = (byte[])blob.Clone();
            copy[i] ^= 0x01;
            await Assert.ThrowsAsync<KeyStoreException>(() => fixture.DecryptAsync(copy, Context).AsTask());
        }
    }

    private sealed class Fixture : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("keyward-golden").FullName;
        private readonly FileSeal _seal;
        private readonly SoftwareKeyStore _store;

        public Fixture()
        {
            var path = Path.Combine(_dir, "root.key");
            File.WriteAllText(path, "keyward-file-seal v1\n" + Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()) + "\n");
            _seal = FileSeal.Open(path, create: false);
            _store = new SoftwareKeyStore(new RootKeyBarrier(_seal));
        }

        public ValueTask<byte[]> DecryptAsync(byte[] blobBytes, Dictionary<string, string> context, MaterialRecord? stored = null)
        {
            Assert.True(CiphertextBlob.TryParse(blobBytes, out var blob));
            var material = stored ?? new MaterialRecord(blob.KeyId, blob.MaterialId, Convert.FromHexString(WrappedMaterial), DateTimeOffset.UnixEpoch);
            return _store.DecryptAsync(material, blob.Payload, CiphertextBlob.Aad(blob.Header.Span, context), default);
        }

        public void Dispose()
        {
            _store.Dispose();
            _seal.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
