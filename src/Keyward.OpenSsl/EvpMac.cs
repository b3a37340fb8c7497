using System.Runtime.InteropServices;

namespace Keyward.OpenSsl;

/// <summary>openssl/evp.h: EVP_MAC contexts.</summary>
internal static partial class EvpMac
{
    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MAC_CTX_new")]
    public static partial IntPtr CtxNew(IntPtr mac);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MAC_CTX_dup")]
    public static partial IntPtr CtxDup(IntPtr context);

    /// <summary>Frees the context; the HMAC provider cleanses its key state first.</summary>
    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MAC_CTX_free")]
    public static partial void CtxFree(IntPtr context);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MAC_CTX_set_params")]
    public static partial int CtxSetParams(IntPtr context, ReadOnlySpan<OsslParam> parameters);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MAC_init")]
    public static partial int Init(IntPtr context, ReadOnlySpan<byte> key, nuint keyLength, IntPtr parameters);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MAC_update")]
    public static partial int Update(IntPtr context, ReadOnlySpan<byte> data, nuint length);

    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_MAC_final")]
    public static partial int Final(IntPtr context, Span<byte> output, out nuint written, nuint size);
}
