using System.Runtime.InteropServices;

namespace Keyward.OpenSsl;

/// <summary>openssl/hmac.h: one-shot HMAC.</summary>
public static partial class Hmac
{
    public const int Sha224Size = 28;

    /// <summary>HMAC-SHA-224 (RFC 4231), which the BCL lacks because it has no SHA-224.</summary>
    public static void Sha224(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (mac.Length != Sha224Size) throw new ArgumentException("HMAC-SHA-224 output is 28 bytes.", nameof(mac));
        LibCrypto.EnsureLoaded();
        uint length = 0;
        // libcrypto rejects a NULL key even when empty; a one-byte dummy with length 0 is equivalent.
        Span<byte> empty = stackalloc byte[1];
        var result = Compute(Evp.Sha224(), key.IsEmpty ? empty : key, key.Length, data, (nuint)data.Length, mac, ref length);
        if (result == IntPtr.Zero || length != Sha224Size) throw new InvalidOperationException("libcrypto HMAC failed.");
    }

    [LibraryImport(LibCrypto.Name, EntryPoint = "HMAC")]
    private static partial IntPtr Compute(IntPtr md, ReadOnlySpan<byte> key, int keyLength, ReadOnlySpan<byte> data, nuint dataLength,
        Span<byte> mac, ref uint macLength);
}
