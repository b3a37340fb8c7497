using System.Reflection;
using System.Runtime.InteropServices;

namespace Keyward.OpenSsl;

/// <summary>
/// Loads OpenSSL's libcrypto, the library the BCL's own cryptography uses on Linux, so both
/// run on the same implementation. Tries the OpenSSL 3 soname first, then the unversioned one.
/// </summary>
internal static partial class LibCrypto
{
    public const string Name = "libcrypto";

    private static readonly string[] Candidates = ["libcrypto.so.3", "libcrypto.so"];

    static LibCrypto() => NativeLibrary.SetDllImportResolver(typeof(LibCrypto).Assembly, Resolve);

    /// <summary>Runs the static constructor, which installs the resolver; call before any import.</summary>
    public static void EnsureLoaded() { }

    /// <summary>
    /// Empties this thread's libcrypto error queue after a failed call, so that a later caller on the thread (the BCL
    /// reads the queue to build its exceptions) does not see an error that is not its own.
    /// </summary>
    [LibraryImport(Name, EntryPoint = "ERR_clear_error")]
    public static partial void ClearErrors();

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Name) return IntPtr.Zero;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
