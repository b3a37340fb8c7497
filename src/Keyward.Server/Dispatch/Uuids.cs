using Keyward.Core.Crypto;

namespace Keyward.Server.Dispatch;

/// <summary>
/// Random (version 4) UUIDs for request and event ids, cut from <see cref="PublicRandom"/>'s per-thread buffer rather
/// than a getrandom() per id (Guid.NewGuid), which was two system calls on every request. Ids are identifiers, not
/// secrets; they are as unpredictable as NewGuid's.
/// </summary>
internal static class Uuids
{
    public static Guid New()
    {
        Span<byte> bytes = stackalloc byte[16];
        PublicRandom.Fill(bytes);
        // RFC 9562 §5.4 in Guid's byte order: version 4 in the high nibble of the third field (bytes[7], little-endian), variant 10 in bytes[8].
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }
}
