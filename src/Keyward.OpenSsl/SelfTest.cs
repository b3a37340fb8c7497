using System.Security.Cryptography;

namespace Keyward.OpenSsl;

/// <summary>
/// A known-answer check at start: each primitive of this library against the BCL on fixed inputs, so a libcrypto
/// without OpenSSL 3's providers stops the server with one clear message instead of failing every request.
/// </summary>
public static class SelfTest
{
    /// <summary>Null when every primitive answers as the BCL does; else what failed.</summary>
    public static string? Run()
    {
        try
        {
            var key = new byte[32];
            for (var i = 0; i < key.Length; i++) key[i] = (byte)i;
            var data = "keyward self-test"u8;
            var iv = key.AsSpan(0, Aes256Gcm.IvSize);
            Span<byte> ours = stackalloc byte[HmacSha256.Size];
            if (!Sha256.Hash(data).AsSpan().SequenceEqual(SHA256.HashData(data))) return "SHA-256 does not match the BCL's";
            HmacSha256.Compute(key, data, ours);
            if (!ours.SequenceEqual(HMACSHA256.HashData(key, data))) return "HMAC-SHA-256 does not match the BCL's";
            HkdfSha256.DeriveKey(key, ours, iv, data);
            if (!ours.SequenceEqual(HKDF.DeriveKey(HashAlgorithmName.SHA256, key, ours.Length, iv.ToArray(), data.ToArray())))
                return "HKDF-SHA-256 does not match the BCL's";
            Span<byte> ciphertext = stackalloc byte[data.Length];
            Span<byte> tag = stackalloc byte[Aes256Gcm.TagSize];
            Span<byte> theirs = stackalloc byte[data.Length];
            Span<byte> theirTag = stackalloc byte[Aes256Gcm.TagSize];
            Aes256Gcm.Encrypt(key, iv, data, ciphertext, tag, key);
            using (var bcl = new AesGcm(key, Aes256Gcm.TagSize)) bcl.Encrypt(iv, data, theirs, theirTag, key);
            if (!ciphertext.SequenceEqual(theirs) || !tag.SequenceEqual(theirTag)) return "AES-256-GCM does not match the BCL's";
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or TypeInitializationException or DllNotFoundException or EntryPointNotFoundException)
        {
            return (e.InnerException ?? e).Message;
        }
    }
}
