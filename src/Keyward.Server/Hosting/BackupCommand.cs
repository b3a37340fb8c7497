using Keyward.Core.Seal;
using Keyward.Storage.Sqlite;

namespace Keyward.Server.Hosting;

/// <summary>
/// `keyward backup --to FILE` copies a SQLite deployment's database while it runs (SQLite's online backup); `keyward
/// restore FILE --data-dir DIR` puts such a copy into a data directory that has no database, and calls it restored only
/// once the seal has opened every value sealed in it. Neither overwrites anything. The root key is never in a backup:
/// it is backed up separately (docs/operations.md, "Backups").
/// </summary>
public static class BackupCommand
{
    public static int Backup(KmsServerOptions options, string to, TextWriter output)
    {
        if (options.Database is not null)
            throw new ServerConfigurationException("keyward backup copies the embedded SQLite database; back up PostgreSQL with pg_dump (docs/operations.md, \"Backups\").");
        var database = Path.Combine(options.DataDir, KmsHost.DatabaseFile);
        if (!File.Exists(database)) throw new ServerConfigurationException($"There is no database at {database}.");
        if (File.Exists(to) || Directory.Exists(to)) throw new ServerConfigurationException($"{to} exists; keyward backup never overwrites.");
        var (keys, bytes) = SqliteBackup.Copy(database, to);
        output.WriteLine($"keyward: backed up {database} to {to} ({keys} keys, {bytes} bytes).");
        output.WriteLine(options.Hsm?.Seal is not null
            ? "keyward: the root key is not in the backup: it stays in the HSM of the PKCS#11 seal (back that HSM up as its vendor says)."
            : $"keyward: the root key is not in the backup: back up {Path.Combine(options.DataDir, KmsHost.RootKeyFile)} separately; without it the backup opens nothing.");
        return 0;
    }

    /// <param name="rootKey">The file seal's root key to put in the directory with the database (when it is not there yet).</param>
    public static async Task<int> RestoreAsync(KmsServerOptions options, string from, string? rootKey, TextWriter output, CancellationToken ct = default)
    {
        if (options.Database is not null)
            throw new ServerConfigurationException("keyward restore restores the embedded SQLite database; restore PostgreSQL with pg_restore (docs/operations.md, \"Backups\").");
        if (!File.Exists(from)) throw new ServerConfigurationException($"There is no backup at {from}.");
        var database = Path.Combine(options.DataDir, KmsHost.DatabaseFile);
        var rootKeyFile = Path.Combine(options.DataDir, KmsHost.RootKeyFile);
        using var dataLock = DataDirectoryLock.Acquire(options.DataDir, "restore");
        var present = Directory.EnumerateFileSystemEntries(options.DataDir).Select(Path.GetFileName)
            .Where(n => n is not (DataDirectoryLock.FileName or DataDirectoryLock.OwnerFileName or KmsHost.RootKeyFile)).ToList();
        if (present.Count > 0)
            throw new ServerConfigurationException($"{options.DataDir} is not empty ({string.Join(", ", present)}); keyward restore never overwrites.");
        var copiedRootKey = false;
        if (rootKey is not null)
        {
            if (File.Exists(rootKeyFile)) throw new ServerConfigurationException($"{rootKeyFile} exists; keyward restore never overwrites.");
            CopyOwnerOnly(rootKey, rootKeyFile);
            copiedRootKey = true;
        }
        var restoring = database + ".restoring";
        try
        {
            CopyOwnerOnly(from, restoring);
            int sealedValues, keys;
            using (var storage = new SqliteKmsStorage(restoring))
            {
                await storage.MigrateAsync(ct);
                using var seal = KmsHost.OpenSeal(options, create: false);
                sealedValues = await SealMigration.VerifyAsync(storage, new RootKeyBarrier(seal), ct);
                keys = (await storage.CountKeysByStateAsync(ct)).Values.Sum();
            }
            File.Move(restoring, database);
            output.WriteLine($"keyward: restored {from} into {options.DataDir}: {keys} keys; all {sealedValues} sealed values open under the seal.");
            return 0;
        }
        catch
        {
            // Nothing half-restored stays behind: the directory is as it was.
            File.Delete(restoring);
            foreach (var side in new[] { "-wal", "-shm", "-journal" }) File.Delete(restoring + side);
            if (copiedRootKey) File.Delete(rootKeyFile);
            throw;
        }
    }

    private static void CopyOwnerOnly(string from, string to)
    {
        using var source = File.OpenRead(from);
        using var target = PrivateFile.Open(to, FileMode.CreateNew, FileAccess.Write);
        source.CopyTo(target);
        target.Flush(flushToDisk: true);
    }
}
