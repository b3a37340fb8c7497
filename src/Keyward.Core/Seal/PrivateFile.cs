namespace Keyward.Core.Seal;

/// <summary>
/// Writes a small secret file (mode 0600) atomically: to a temporary name, flushed to disk,
/// then renamed over the final name, so a crash never leaves a half-written key or credential.
/// Fails if the final file already exists.
/// </summary>
public static class PrivateFile
{
    public static void WriteNew(string path, ReadOnlySpan<byte> content)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temp, options))
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
