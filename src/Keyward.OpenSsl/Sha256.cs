using System.Runtime.InteropServices;

namespace Keyward.OpenSsl;

/// <summary>SHA-256 through an explicitly fetched digest (<see cref="Fetched"/>); the same bytes as the BCL's SHA256.</summary>
public static partial class Sha256
{
    public const int Size = 32;

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> hash)
    {
        if (hash.Length != Size) throw new ArgumentException("A SHA-256 hash is 32 bytes.", nameof(hash));
        // libcrypto takes a NULL pointer for empty data only with length 0, which a pinned empty span gives.
        if (Digest(data, (nuint)data.Length, hash, out var written, Fetched.Sha256, IntPtr.Zero) != 1 || written != Size)
            throw Failure.Of("SHA-256");
    }

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var hash = new byte[Size];
        Hash(data, hash);
        return hash;
    }

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_Digest")]
    private static partial int Digest(ReadOnlySpan<byte> data, nuint length, Span<byte> hash, out uint written, IntPtr type, IntPtr engine);
}
