using System.Security.Cryptography;

namespace Keyward.OpenSsl;

/// <summary>
/// HKDF with SHA-256 (RFC 5869) on <see cref="HmacSha256"/>: the same bytes as the BCL's
/// <c>HKDF.DeriveKey(HashAlgorithmName.SHA256, …)</c> at less than half its cost (libcrypto's own HKDF, EVP_KDF, builds
/// its HMAC contexts again on every derivation and is no faster than the BCL's).
/// </summary>
public static class HkdfSha256
{
    public const int MaxOutput = 255 * HmacSha256.Size;

    /// <summary>Extract then expand: OKM = T(1) ‖ T(2) ‖ … where T(i) = HMAC(PRK, T(i−1) ‖ info ‖ i), PRK = HMAC(salt, IKM).</summary>
    public static void DeriveKey(ReadOnlySpan<byte> ikm, Span<byte> output, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info)
    {
        if (output.IsEmpty || output.Length > MaxOutput)
            throw new ArgumentOutOfRangeException(nameof(output), $"HKDF-SHA-256 output is 1 to {MaxOutput} bytes.");
        // RFC 5869 2.2: no salt is HashLen zeros, which is what HMAC makes of an empty key.
        Span<byte> prk = stackalloc byte[HmacSha256.Size];
        Span<byte> block = stackalloc byte[HmacSha256.Size];
        Span<byte> input = info.Length <= 256 ? stackalloc byte[HmacSha256.Size + info.Length + 1] : new byte[HmacSha256.Size + info.Length + 1];
        try
        {
            HmacSha256.Compute(salt, ikm, prk);
            var previous = 0; // T(0) is empty
            for (var i = 1; !output.IsEmpty; i++)
            {
                info.CopyTo(input[previous..]);
                input[previous + info.Length] = (byte)i;
                HmacSha256.Compute(prk, input[..(previous + info.Length + 1)], block);
                var n = Math.Min(block.Length, output.Length);
                block[..n].CopyTo(output);
                output = output[n..];
                block.CopyTo(input);
                previous = HmacSha256.Size;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(input);
        }
    }
}
