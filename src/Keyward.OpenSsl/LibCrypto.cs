using System.Reflection;
using System.Runtime.InteropServices;

namespace Keyward.OpenSsl;

/// <summary>
/// Loads OpenSSL's libcrypto, the library the BCL's own cryptography uses on Linux, so both
/// run on the same implementation. Tries the OpenSSL 3 soname first, then the unversioned one.
/// </summary>
internal static class LibCrypto
{
    public const string Name = "libcrypto";

    private static readonly string[] Candidates = ["libcrypto.so.3", "libcrypto.so"];

    static LibCrypto() => NativeLibrary.SetDllImportResolver(typeof(LibCrypto).Assembly, Resolve);

    /// <summary>Runs the static constructor, which installs the resolver; call before any import.</summary>
    public static void EnsureLoaded() { }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Name) return IntPtr.Zero;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
