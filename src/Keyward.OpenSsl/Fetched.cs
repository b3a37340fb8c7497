using System.Runtime.InteropServices;

namespace Keyward.OpenSsl;

/// <summary>
/// The algorithms the request path uses, fetched from libcrypto's default provider once per process (OpenSSL 3's
/// explicit fetch, EVP_*_fetch). The BCL hands libcrypto its legacy static descriptors (EVP_sha256(),
/// EVP_aes_256_gcm()), which OpenSSL 3 resolves to a provider's implementation again at every initialisation: a
/// property-query lookup under a lock, which costs more than hashing a kilobyte (docs/benchmarks.md). Fetched objects
/// are immutable and shared by every thread; they live as long as the process and are never freed.
/// </summary>
internal static partial class Fetched
{
    public static readonly IntPtr Sha256;
    public static readonly IntPtr Aes256Gcm;

    /// <summary>An HMAC context with its digest set to SHA-256 and no key: the template each HMAC duplicates.</summary>
    public static readonly IntPtr HmacSha256Template;

    static Fetched()
    {
        LibCrypto.EnsureLoaded();
        Sha256 = Require(EvpMdFetch(IntPtr.Zero, "SHA256", null), "SHA256");
        Aes256Gcm = Require(EvpCipherFetch(IntPtr.Zero, "AES-256-GCM", null), "AES-256-GCM");
        var hmac = Require(EvpMacFetch(IntPtr.Zero, "HMAC", null), "HMAC");
        HmacSha256Template = Require(EvpMac.CtxNew(hmac), "an HMAC context");
        var digest = Marshal.StringToCoTaskMemUTF8("digest");
        var sha256 = Marshal.StringToCoTaskMemUTF8("SHA256");
        try
        {
            Span<OsslParam> parameters = [new(digest, OsslParam.Utf8String, sha256, 6), default];
            if (EvpMac.CtxSetParams(HmacSha256Template, parameters) != 1) throw Missing("HMAC with SHA-256");
        }
        finally
        {
            Marshal.FreeCoTaskMem(digest);
            Marshal.FreeCoTaskMem(sha256);
        }
    }

    private static IntPtr Require(IntPtr fetched, string name) => fetched != IntPtr.Zero ? fetched : throw Missing(name);

    private static InvalidOperationException Missing(string name)
    {
        LibCrypto.ClearErrors();
        return new InvalidOperationException($"libcrypto could not provide {name}: Keyward needs OpenSSL 3 and its default provider.");
    }

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MD_fetch", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr EvpMdFetch(IntPtr libraryContext, string algorithm, string? properties);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_CIPHER_fetch", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr EvpCipherFetch(IntPtr libraryContext, string algorithm, string? properties);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MAC_fetch", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr EvpMacFetch(IntPtr libraryContext, string algorithm, string? properties);
}

/// <summary>openssl/core.h: OSSL_PARAM, one named parameter of a provider call; an array ends with an all-zero one.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct OsslParam(IntPtr key, uint dataType, IntPtr data, nuint dataSize)
{
    public const uint Utf8String = 4;

    public readonly IntPtr Key = key;
    public readonly uint DataType = dataType;
    public readonly IntPtr Data = data;
    public readonly nuint DataSize = dataSize;
    public readonly nuint ReturnSize = nuint.MaxValue; // OSSL_PARAM_UNMODIFIED
}
