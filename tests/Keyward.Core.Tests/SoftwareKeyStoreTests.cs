using Keyward.Core.Crypto;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;

namespace Keyward.Core.Tests;

public sealed class SoftwareKeyStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-store").FullName;
    private readonly FileSeal _seal;
    private readonly SoftwareKeyStore _store;
    private static readonly KeySpecInfo Symmetric = KeySpecInfo.Find("SYMMETRIC_DEFAULT")!;

    public SoftwareKeyStoreTests()
    {
        _seal = FileSeal.Open(Path.Combine(_dir, "root.key"), create: true);
        _store = new SoftwareKeyStore(new RootKeyBarrier(_seal));
    }

    [Fact]
    public async Task Round_trip_with_fresh_nonce_each_time()
    {
        var material = _store.CreateMaterial("1234abcd-12ab-34cd-56ef-1234567890ab", Symmetric, DateTimeOffset.UnixEpoch);
        var aad = new byte[] { 9, 9 };
        var a = await _store.EncryptAsync(material, "hello"u8.ToArray(), aad, default);
        var b = await _store.EncryptAsync(material, "hello"u8.ToArray(), aad, default);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a.AsSpan(0, SoftwareKeyStore.NonceSize).ToArray(), b.AsSpan(0, SoftwareKeyStore.NonceSize).ToArray());
        Assert.Equal("hello"u8.ToArray(), await _store.DecryptAsync(material, a, aad, default));
        Assert.Equal("hello"u8.ToArray(), await _store.DecryptAsync(material, b, aad, default));
    }

    [Fact]
    public async Task Wrong_aad_or_material_is_invalid_ciphertext()
    {
        var m1 = _store.CreateMaterial("1234abcd-12ab-34cd-56ef-1234567890ab", Symmetric, DateTimeOffset.UnixEpoch);
        var m2 = _store.CreateMaterial("1234abcd-12ab-34cd-56ef-1234567890ab", Symmetric, DateTimeOffset.UnixEpoch);
        var payload = await _store.EncryptAsync(m1, new byte[] { 1 }, new byte[] { 1 }, default);
        Assert.Equal(KeyStoreFailure.InvalidCiphertext, (await Assert.ThrowsAsync<KeyStoreException>(() => _store.DecryptAsync(m1, payload, new byte[] { 2 }, default).AsTask())).Failure);
        Assert.Equal(KeyStoreFailure.InvalidCiphertext, (await Assert.ThrowsAsync<KeyStoreException>(() => _store.DecryptAsync(m2, payload, new byte[] { 1 }, default).AsTask())).Failure);
        Assert.Equal(KeyStoreFailure.InvalidCiphertext, (await Assert.ThrowsAsync<KeyStoreException>(() => _store.DecryptAsync(m1, new byte[10], new byte[] { 1 }, default).AsTask())).Failure);
    }

    [Fact]
    public async Task Material_moved_to_another_key_does_not_open()
    {
        var m = _store.CreateMaterial("1234abcd-12ab-34cd-56ef-1234567890ab", Symmetric, DateTimeOffset.UnixEpoch);
        var moved = m with { KeyId = "ffffffff-12ab-34cd-56ef-1234567890ab" };
        var e = await Assert.ThrowsAsync<KeyStoreException>(() => _store.EncryptAsync(moved, new byte[] { 1 }, Array.Empty<byte>(), default).AsTask());
        Assert.Equal(KeyStoreFailure.Internal, e.Failure);
    }

    [Fact]
    public async Task Forgotten_key_material_is_unwrapped_again_on_next_use()
    {
        var m = _store.CreateMaterial("1234abcd-12ab-34cd-56ef-1234567890ab", Symmetric, DateTimeOffset.UnixEpoch);
        var payload = await _store.EncryptAsync(m, new byte[] { 7 }, Array.Empty<byte>(), default);
        _store.Forget(m.KeyId);
        Assert.Equal(new byte[] { 7 }, await _store.DecryptAsync(m, payload, Array.Empty<byte>(), default));
    }

    [Fact]
    public async Task A_payload_written_after_headroom_is_the_payload_the_store_decrypts()
    {
        var m = _store.CreateMaterial("1234abcd-12ab-34cd-56ef-1234567890ab", Symmetric, DateTimeOffset.UnixEpoch);
        var aad = CiphertextBlob.HeaderAndAad(m.KeyId, m.MaterialId, new Dictionary<string, string> { ["purpose"] = "test" });
        var plaintext = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var blob = await _store.EncryptAsync(m, plaintext, aad, CiphertextBlob.HeaderSize, default);
        Assert.Equal(CiphertextBlob.HeaderSize + (await _store.EncryptAsync(m, plaintext, aad, default)).Length, blob.Length);
        Assert.All(blob[..CiphertextBlob.HeaderSize], b => Assert.Equal(0, b)); // the caller's to fill
        Assert.Equal(plaintext, await _store.DecryptAsync(m, blob.AsMemory(CiphertextBlob.HeaderSize), aad, default));
        await Assert.ThrowsAsync<KeyStoreException>(async () =>
            await _store.DecryptAsync(m, blob.AsMemory(CiphertextBlob.HeaderSize), aad.AsMemory(1), default));
        Assert.Throws<ArgumentOutOfRangeException>(() => _store.EncryptAsync(m, plaintext, aad, -1, default));
    }

    [Fact]
    public async Task A_store_without_its_own_headroom_encrypt_copies_its_payload_after_the_headroom()
    {
        IKeyStore store = new PayloadOnly(_store);
        var m = _store.CreateMaterial("1234abcd-12ab-34cd-56ef-1234567890ab", Symmetric, DateTimeOffset.UnixEpoch);
        var blob = await store.EncryptAsync(m, new byte[] { 9, 8, 7 }, Array.Empty<byte>(), 5, default);
        Assert.Equal(new byte[5], blob[..5]);
        Assert.Equal(new byte[] { 9, 8, 7 }, await _store.DecryptAsync(m, blob.AsMemory(5), Array.Empty<byte>(), default));
    }

    /// <summary>A store that implements only the interface's required members (as the HSM store does).</summary>
    private sealed class PayloadOnly(SoftwareKeyStore inner) : IKeyStore
    {
        public MaterialRecord CreateMaterial(string keyId, KeySpecInfo spec, DateTimeOffset now) => inner.CreateMaterial(keyId, spec, now);
        public MaterialRecord ImportMaterial(string keyId, KeySpecInfo spec, ReadOnlySpan<byte> material, DateTimeOffset now) =>
            inner.ImportMaterial(keyId, spec, material, now);
        public ValueTask<byte[]> EncryptAsync(MaterialRecord material, ReadOnlyMemory<byte> plaintext, ReadOnlyMemory<byte> aad, CancellationToken ct) =>
            inner.EncryptAsync(material, plaintext, aad, ct);
        public ValueTask<byte[]> DecryptAsync(MaterialRecord material, ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte> aad, CancellationToken ct) =>
            inner.DecryptAsync(material, payload, aad, ct);
        public ValueTask<byte[]> SignAsync(MaterialRecord material, KeySpecInfo spec, SigningAlgorithm algorithm, SigningInput input, CancellationToken ct) =>
            inner.SignAsync(material, spec, algorithm, input, ct);
        public ValueTask<byte[]> DecapsulateAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> ciphertext, CancellationToken ct) =>
            inner.DecapsulateAsync(material, spec, ciphertext, ct);
        public ValueTask<byte[]> DecryptRsaAsync(MaterialRecord material, KeySpecInfo spec, string algorithm, ReadOnlyMemory<byte> ciphertext,
            CancellationToken ct) => inner.DecryptRsaAsync(material, spec, algorithm, ciphertext, ct);
        public ValueTask<byte[]> GenerateMacAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> message, CancellationToken ct) =>
            inner.GenerateMacAsync(material, spec, message, ct);
        public ValueTask<byte[]> DeriveSharedSecretAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> peerPublicKey,
            CancellationToken ct) => inner.DeriveSharedSecretAsync(material, spec, peerPublicKey, ct);
        public void Forget(string keyId) => inner.Forget(keyId);
    }

    [Fact]
    public void Blob_header_round_trips_and_rejects_other_formats()
    {
        // The AAD of a blob with no encryption context: its header, then the empty context's encoding.
        var header = CiphertextBlob.HeaderAndAad("1234abcd-12ab-34cd-56ef-1234567890ab", new string('a', 64), null)[..CiphertextBlob.HeaderSize];
        var blob = CiphertextBlob.Compose(header, new byte[] { 1, 2, 3 });
        Assert.True(CiphertextBlob.TryParse(blob, out var parsed));
        Assert.Equal("1234abcd-12ab-34cd-56ef-1234567890ab", parsed.KeyId);
        Assert.Equal(new byte[] { 1, 2, 3 }, parsed.Payload.ToArray());
        // The same 16 bytes under format 0x02 name the Multi-Region key of those hex digits.
        blob[0] = 2;
        Assert.True(CiphertextBlob.TryParse(blob, out var multiRegion));
        Assert.Equal("mrk-1234abcd12ab34cd56ef1234567890ab", multiRegion.KeyId);
        var mrkHeader = CiphertextBlob.HeaderAndAad("mrk-1234abcd12ab34cd56ef1234567890ab", new string('a', 64), null)[..CiphertextBlob.HeaderSize];
        Assert.Equal(CiphertextBlob.FormatV1MultiRegion, mrkHeader[0]);
        Assert.Equal(header[1..], mrkHeader[1..]);
        blob[0] = 3;
        Assert.False(CiphertextBlob.TryParse(blob, out _));
        Assert.False(CiphertextBlob.TryParse(header, out _));
        Assert.False(CiphertextBlob.TryParse(Array.Empty<byte>(), out _));
    }

    public void Dispose()
    {
        _store.Dispose();
        _seal.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class MaterialCacheTests
{
    [Fact]
    public void A_retired_entry_is_zeroed_only_after_its_last_lease()
    {
        var cache = new MaterialCache();
        var key = new byte[] { 1, 2, 3 };
        var first = cache.Add("k", "m", key);
        Assert.True(cache.TryLease("k", "m", out var second));
        cache.Retire("k");
        Assert.False(cache.TryLease("k", "m", out _));
        first.Dispose();
        Assert.Equal(new byte[] { 1, 2, 3 }, second.Key.ToArray());
        second.Dispose();
        Assert.Equal(new byte[] { 0, 0, 0 }, key);
    }

    [Fact]
    public void An_idle_entry_is_zeroed_when_retired()
    {
        var cache = new MaterialCache();
        var key = new byte[] { 9 };
        cache.Add("k", "m", key).Dispose();
        cache.Retire("k");
        Assert.Equal(new byte[] { 0 }, key);
    }

    [Fact]
    public async Task Concurrent_leases_and_retirement_never_expose_a_zeroed_key()
    {
        for (var round = 0; round < 50; round++)
        {
            var cache = new MaterialCache();
            var key = Enumerable.Repeat((byte)7, 32).ToArray();
            cache.Add("k", "m", key).Dispose();
            var seenZero = false;
            var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (var i = 0; i < 2000; i++)
                {
                    if (!cache.TryLease("k", "m", out var lease)) return;
                    if (lease.Key[0] == 0) seenZero = true;
                    lease.Dispose();
                }
            })).ToArray();
            cache.Retire("k");
            await Task.WhenAll(readers);
            Assert.False(seenZero);
            Assert.All(key, b => Assert.Equal(0, b));
        }
    }
}
