using System.Buffers.Binary;

namespace Keyward.XksProxy;

/// <summary>The AAD layout the XKS specification recommends (the CDIV is <see cref="Keyward.Protocol.Xks.XksIntegrity"/>).</summary>
public static class XksCrypto
{
    public const int MaxMetadata = 20;

    /// <summary>
    /// The AAD the HSM authenticates, as the specification recommends: be16(len AAD) ‖ AAD ‖ u8(len metadata) ‖ metadata,
    /// a missing field counting as empty. ciphertextMetadata is thereby authenticated along with the caller's AAD.
    /// </summary>
    public static byte[] HsmAad(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> metadata)
    {
        if (aad.Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(aad));
        if (metadata.Length > MaxMetadata) throw new ArgumentOutOfRangeException(nameof(metadata));
        var output = new byte[2 + aad.Length + 1 + metadata.Length];
        BinaryPrimitives.WriteUInt16BigEndian(output, (ushort)aad.Length);
        aad.CopyTo(output.AsSpan(2));
        output[2 + aad.Length] = (byte)metadata.Length;
        metadata.CopyTo(output.AsSpan(3 + aad.Length));
        return output;
    }
}
