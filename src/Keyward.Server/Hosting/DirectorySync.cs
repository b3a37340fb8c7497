using System.Runtime.InteropServices;

namespace Keyward.Server.Hosting;

/// <summary>
/// fsync of a directory (POSIX): makes the renames and new names in it durable, which a file's own fsync does not.
/// The root key rotation needs it between "the new key file exists" and "the database is sealed under it".
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0, Directory = 0x10000; // O_RDONLY, O_DIRECTORY (Linux)

    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(directory, ReadOnly | Directory);
        if (fd < 0) throw new IOException($"Cannot open {directory} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"Cannot flush {directory} (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
