using System.Security.Cryptography;
using Keyward.OpenSsl;

namespace Keyward.Core.Tests;

/// <summary>
/// The request path's SHA-256, HMAC-SHA-256, HKDF and AES-256-GCM through Keyward.OpenSsl give the BCL's bytes, for
/// every length around the block sizes and for published test vectors.
/// </summary>
public sealed class OpenSslPrimitivesTests
{
    private static readonly int[] Lengths = [0, 1, 15, 16, 17, 31, 32, 33, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 1024, 4097];

    [Fact]
    public void Sha256_matches_the_BCL_at_every_length()
    {
        foreach (var n in Lengths)
        {
            var data = RandomNumberGenerator.GetBytes(n);
            Assert.Equal(SHA256.HashData(data), Sha256.Hash(data));
        }
    }

    [Fact]
    public void HmacSha256_matches_the_BCL_for_keys_shorter_and_longer_than_the_block()
    {
        foreach (var keyLength in new[] { 0, 1, 16, 32, 63, 64, 65, 200 })
            foreach (var n in Lengths)
            {
                var key = RandomNumberGenerator.GetBytes(keyLength);
                var data = RandomNumberGenerator.GetBytes(n);
                var mac = new byte[32];
                HmacSha256.Compute(key, data, mac);
                Assert.Equal(HMACSHA256.HashData(key, data), mac);
            }
    }

    [Theory]
    // RFC 5869 A.1 (basic) and A.3 (no salt, no info).
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")]
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")]
    public void Hkdf_matches_RFC_5869(string ikm, string salt, string info, int length, string okm)
    {
        var output = new byte[length];
        HkdfSha256.DeriveKey(Convert.FromHexString(ikm), output, Convert.FromHexString(salt), Convert.FromHexString(info));
        Assert.Equal(okm, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Hkdf_matches_the_BCL_for_every_output_length_and_long_info()
    {
        var ikm = RandomNumberGenerator.GetBytes(32);
        foreach (var info in new[] { 0, 41, 300 })
            foreach (var length in new[] { 1, 31, 32, 33, 64, 100, HkdfSha256.MaxOutput })
            {
                var salt = RandomNumberGenerator.GetBytes(16);
                var infoBytes = RandomNumberGenerator.GetBytes(info);
                var output = new byte[length];
                HkdfSha256.DeriveKey(ikm, output, salt, infoBytes);
                Assert.Equal(HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, length, salt, infoBytes), output);
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => HkdfSha256.DeriveKey(ikm, new byte[HkdfSha256.MaxOutput + 1], [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => HkdfSha256.DeriveKey(ikm, [], [], []));
    }

    [Fact]
    public void AesGcm_round_trips_with_the_BCL_both_ways()
    {
        foreach (var n in Lengths)
            foreach (var aadLength in new[] { 0, 13, 300 })
            {
                var key = RandomNumberGenerator.GetBytes(32);
                var iv = RandomNumberGenerator.GetBytes(12);
                var plaintext = RandomNumberGenerator.GetBytes(n);
                var aad = RandomNumberGenerator.GetBytes(aadLength);
                var ours = new byte[n];
                var ourTag = new byte[16];
                Aes256Gcm.Encrypt(key, iv, plaintext, ours, ourTag, aad);
                var theirs = new byte[n];
                var theirTag = new byte[16];
                using (var bcl = new AesGcm(key, 16)) bcl.Encrypt(iv, plaintext, theirs, theirTag, aad);
                Assert.Equal(theirs, ours);
                Assert.Equal(theirTag, ourTag);
                var back = new byte[n];
                Assert.True(Aes256Gcm.TryDecrypt(key, iv, theirs, theirTag, back, aad));
                Assert.Equal(plaintext, back);
            }
    }

    [Fact]
    public void AesGcm_refuses_any_changed_byte_and_zeroes_what_it_wrote()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(12);
        var plaintext = RandomNumberGenerator.GetBytes(64);
        var aad = "context"u8.ToArray();
        var ciphertext = new byte[64];
        var tag = new byte[16];
        Aes256Gcm.Encrypt(key, iv, plaintext, ciphertext, tag, aad);
        var output = new byte[64];
        foreach (var (c, t, a) in new[]
                 {
                     (Flip(ciphertext, 5), tag, aad), (ciphertext, Flip(tag, 15), aad), (ciphertext, tag, Flip(aad, 0)),
                     (ciphertext, tag, Array.Empty<byte>()),
                 })
        {
            Assert.False(Aes256Gcm.TryDecrypt(key, iv, c, t, output, a));
            Assert.All(output, b => Assert.Equal(0, b));
        }
        Assert.False(Aes256Gcm.TryDecrypt(key, Flip(iv, 11), ciphertext, tag, output, aad));
        Assert.False(Aes256Gcm.TryDecrypt(Flip(key, 0), iv, ciphertext, tag, output, aad));
        // And the right inputs still decrypt afterwards: a failed call leaves nothing behind on the thread.
        Assert.True(Aes256Gcm.TryDecrypt(key, iv, ciphertext, tag, output, aad));
        Assert.Equal(plaintext, output);
    }

    [Fact]
    public void The_start_self_test_passes_here() => Assert.Null(SelfTest.Run());

    [Fact]
    public void Wrong_sizes_are_argument_errors()
    {
        Assert.Throws<ArgumentException>(() => Sha256.Hash([1], new byte[31]));
        Assert.Throws<ArgumentException>(() => HmacSha256.Compute([1], [2], new byte[33]));
        Assert.Throws<ArgumentException>(() => Aes256Gcm.Encrypt(new byte[16], new byte[12], [], [], new byte[16], []));
        Assert.Throws<ArgumentException>(() => Aes256Gcm.Encrypt(new byte[32], new byte[16], [], [], new byte[16], []));
        Assert.Throws<ArgumentException>(() => Aes256Gcm.Encrypt(new byte[32], new byte[12], [1], [], new byte[16], []));
        Assert.Throws<ArgumentException>(() => Aes256Gcm.TryDecrypt(new byte[32], new byte[12], [], new byte[12], [], []));
    }

    [Fact]
    public async Task Threads_share_the_fetched_algorithms_safely()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var data = RandomNumberGenerator.GetBytes(500);
        var expected = HMACSHA256.HashData(key, data);
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            var mac = new byte[32];
            for (var i = 0; i < 20_000; i++)
            {
                HmacSha256.Compute(key, data, mac);
                if (!mac.AsSpan().SequenceEqual(expected)) Interlocked.Increment(ref failures);
            }
        })));
        Assert.Equal(0, failures);
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 1;
        return copy;
    }
}
