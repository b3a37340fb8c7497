using System.Security.Cryptography;

namespace Keyward.Core.Crypto;

/// <summary>
/// Random bytes for values that are public once used: nonces, IVs, request and event ids. They are cut from a
/// per-thread buffer of <see cref="RandomNumberGenerator"/>'s output, refilled 4 KiB at a time, and each byte is handed
/// out once. RandomNumberGenerator.Fill is OpenSSL's RAND_bytes, and OpenSSL 3.0 calls getpid() on every call to
/// detect a fork: 2.2 µs for 28 bytes on the 2-core VM of docs/benchmarks.md, where a system call costs about 1 µs.
/// Never for key material or any other secret: those come from RandomNumberGenerator when they are made, so no secret
/// exists in memory before it is needed. (A .NET process does not fork without exec, so no two processes share a buffer.)
/// </summary>
public static class PublicRandom
{
    private const int PoolBytes = 4096;
    private const int LargestPooled = 256;
    [ThreadStatic] private static byte[]? t_pool;
    [ThreadStatic] private static int t_next;

    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > LargestPooled)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        var pool = t_pool;
        var next = t_next;
        if (pool is null || PoolBytes - next < destination.Length)
        {
            // What is left of the old buffer is never handed out: the whole buffer is new bytes.
            pool = t_pool ??= new byte[PoolBytes];
            RandomNumberGenerator.Fill(pool);
            next = 0;
        }
        var taken = pool.AsSpan(next, destination.Length);
        taken.CopyTo(destination);
        taken.Clear();
        t_next = next + destination.Length;
    }
}
