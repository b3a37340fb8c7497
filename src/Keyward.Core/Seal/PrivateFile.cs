namespace Keyward.Core.Seal;

/// <summary>
/// Files only their owner may read (mode 0600 when created, whatever the umask): keys, credentials, the audit journal,
/// backups. <see cref="WriteNew"/> writes a small secret file atomically: to a temporary name, flushed to disk, then
/// renamed over the final name, so a crash never leaves a half-written key or credential; it fails if the final file
/// already exists.
/// </summary>
public static class PrivateFile
{
    /// <summary>Opens <paramref name="path"/> as <see cref="FileStream"/> would; a file it creates is owner only.</summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }

    public static void WriteNew(string path, ReadOnlySpan<byte> content)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = Open(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: false);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
