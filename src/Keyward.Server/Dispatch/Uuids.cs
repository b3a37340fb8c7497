using System.Security.Cryptography;

namespace Keyward.Server.Dispatch;

/// <summary>
/// Random (version 4) UUIDs for request and event ids, cut from a per-thread buffer of the system's secure random
/// bytes refilled 256 ids at a time: one getrandom() per 256 ids instead of one per id (Guid.NewGuid), which was
/// two system calls on every request. Ids are identifiers, not secrets; they are as unpredictable as NewGuid's.
/// </summary>
internal static class Uuids
{
    private const int PoolBytes = 4096;
    [ThreadStatic] private static byte[]? t_pool;
    [ThreadStatic] private static int t_next;

    public static Guid New()
    {
        var pool = t_pool;
        if (pool is null || t_next == PoolBytes)
        {
            pool = t_pool ??= new byte[PoolBytes];
            RandomNumberGenerator.Fill(pool);
            t_next = 0;
        }
        var bytes = pool.AsSpan(t_next, 16);
        t_next += 16;
        // RFC 9562 §5.4 in Guid's byte order: version 4 in the high nibble of the third field (bytes[7], little-endian), variant 10 in bytes[8].
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }
}
