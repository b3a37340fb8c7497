using System.Globalization;

namespace Keyward.Server.Hosting;

/// <summary>
/// One process per data directory. Every command that writes the directory (serve, seal migrate, db migrate on SQLite)
/// holds an exclusive lock on <c>keyward.lock</c> in it (.NET takes an advisory <c>flock</c> for
/// <see cref="FileShare.None"/> on Unix) from before its first write to its exit; the operating system drops the lock
/// when the process dies, so a crash never leaves the directory locked. Two servers appending to one audit journal
/// lose and duplicate events; a second process is refused instead, before it writes anything, with a message naming
/// the holder (from <c>keyward.lock.owner</c>, which the holder writes once it has the lock).
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = "keyward.lock";
    public const string OwnerFileName = "keyward.lock.owner";

    private readonly FileStream _lock;

    private DataDirectoryLock(FileStream held) => _lock = held;

    /// <summary>
    /// Takes the lock of <paramref name="dataDir"/> for <paramref name="command"/>, making the directory (0700) if it is
    /// missing; throws <see cref="DataDirectoryInUseException"/> when another process holds it.
    /// </summary>
    public static DataDirectoryLock Acquire(string dataDir, string command)
    {
        KmsHost.CreatePrivateDirectory(dataDir);
        var path = Path.Combine(dataDir, FileName);
        FileStream held;
        try { held = Keyward.Core.Seal.PrivateFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) when (File.Exists(path))
        {
            throw new DataDirectoryInUseException($"the data directory {dataDir} is in use by {Owner(dataDir)}; stop it first (one process per data directory).");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ServerConfigurationException($"cannot lock the data directory {dataDir}: {e.Message}");
        }
        var owner = Path.Combine(dataDir, OwnerFileName);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"process {Environment.ProcessId} (keyward {command}, since {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ})\n");
        File.WriteAllText(owner, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(owner, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new DataDirectoryLock(held);
    }

    private static string Owner(string dataDir)
    {
        try { return File.ReadAllText(Path.Combine(dataDir, OwnerFileName)).Trim() is { Length: > 0 and < 200 } owner ? owner : "another process"; }
        catch (IOException) { return "another process"; }
        catch (UnauthorizedAccessException) { return "another process"; }
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>Another process holds the data directory's lock; nothing was written.</summary>
public sealed class DataDirectoryInUseException(string message) : IOException(message);
