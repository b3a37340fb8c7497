namespace Keyward.OpenSsl;

/// <summary>
/// HMAC-SHA-256 (RFC 2104) through libcrypto's EVP_MAC: each call duplicates a keyless template whose digest is already
/// fetched (<see cref="Fetched.HmacSha256Template"/>), keys it, and frees it, which cleanses the key state. The same
/// bytes as the BCL's HMACSHA256 at about half its cost.
/// </summary>
public static class HmacSha256
{
    public const int Size = 32;

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (mac.Length != Size) throw new ArgumentException("HMAC-SHA-256 output is 32 bytes.", nameof(mac));
        var context = EvpMac.CtxDup(Fetched.HmacSha256Template);
        if (context == IntPtr.Zero) throw Failure.Of("HMAC-SHA-256");
        try
        {
            // A NULL key means "keep the previous key" to EVP_MAC_init, so an empty key is a one-byte buffer with length 0
            // (HMAC pads every key with zeros to the block, so the empty key is well defined).
            Span<byte> empty = stackalloc byte[1];
            if (EvpMac.Init(context, key.IsEmpty ? empty : key, (nuint)key.Length, IntPtr.Zero) != 1
                || (!data.IsEmpty && EvpMac.Update(context, data, (nuint)data.Length) != 1)
                || EvpMac.Final(context, mac, out var written, Size) != 1 || written != Size)
                throw Failure.Of("HMAC-SHA-256");
        }
        finally { EvpMac.CtxFree(context); }
    }
}
