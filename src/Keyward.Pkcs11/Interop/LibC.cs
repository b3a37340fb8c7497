using System.Runtime.InteropServices;

namespace Keyward.Pkcs11.Interop;

/// <summary>
/// setenv(3). Vendor modules read their configuration from the process environment when they are
/// loaded or initialized (SOFTHSM2_CONF, ChrystokiConfigurationPath, P11_KIT_SERVER_ADDRESS);
/// .NET's Environment.SetEnvironmentVariable does not reach the native environment on Unix.
/// </summary>
public static partial class LibC
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetEnv(string name, string value, int overwrite);
}
