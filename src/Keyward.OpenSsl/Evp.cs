using System.Runtime.InteropServices;

namespace Keyward.OpenSsl;

/// <summary>openssl/evp.h: message digest descriptors (static objects; never freed).</summary>
internal static partial class Evp
{
    [LibraryImport(LibCrypto.Name, EntryPoint = "EVP_sha224")]
    public static partial IntPtr Sha224();
}
