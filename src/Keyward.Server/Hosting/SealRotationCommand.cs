using System.Globalization;
using Keyward.Core.Seal;
using Keyward.Core.Storage;

namespace Keyward.Server.Hosting;

/// <summary>
/// `keyward seal rotate`: replaces the file seal's root key on a stopped deployment. The new key is written (and made
/// durable) as <c>root.key.next</c>; every value the barrier sealed is re-sealed under it in one database transaction;
/// then the old key becomes <c>root.key.retired-&lt;time&gt;</c> (it opens only backups taken before) and the new one
/// <c>root.key</c>. A rotation cut short anywhere leaves one whole state: before the commit, the old key still opens
/// everything and the next start removes <c>root.key.next</c>; after it, the next start (or rotate) finds that
/// <c>root.key.next</c> opens the database and finishes the renames (<see cref="RecoverAsync"/>).
/// </summary>
public static class SealRotationCommand
{
    public const string NextSuffix = ".next";

    public static async Task<int> RunAsync(KmsServerOptions options, TextWriter output, CancellationToken ct = default)
    {
        if (options.Hsm?.Seal is not null)
            throw new SealException("keyward seal rotate rotates the file seal's root key; rotating a PKCS#11 seal's key is not supported yet (docs/operations.md).");
        var database = Path.Combine(options.DataDir, KmsHost.DatabaseFile);
        if (options.Database is null && !File.Exists(database)) throw new SealException($"There is no database at {database}.");
        using var dataLock = DataDirectoryLock.Acquire(options.DataDir, "seal rotate");
        using var storage = KmsHost.OpenStorage(options);
        await storage.MigrateAsync(ct);
        await RecoverAsync(options, storage, output, ct);
        var rootKeyFile = Path.Combine(options.DataDir, KmsHost.RootKeyFile);
        var next = rootKeyFile + NextSuffix;
        int count;
        using (var from = FileSeal.Open(rootKeyFile, create: false))
        using (var to = FileSeal.Open(next, create: true))
        {
            DirectorySync.Flush(options.DataDir); // root.key.next is durable before the database depends on it
            count = await SealMigration.RunAsync(storage, new RootKeyBarrier(from), new RootKeyBarrier(to), ct);
        }
        var retired = Finish(options.DataDir);
        output.WriteLine($"keyward: re-sealed {count} values under a new root key in {rootKeyFile}; the old one is now {retired}. " +
                         "It opens only backups of the database taken before this rotation: keep it with them, or destroy it with them.");
        return 0;
    }

    /// <summary>
    /// Completes or undoes a rotation a crash cut short: <c>root.key.next</c> that opens the database's check value
    /// (the re-sealing committed) becomes the root key; one that does not (it did not commit) is removed.
    /// </summary>
    public static async Task RecoverAsync(KmsServerOptions options, IKmsStorage storage, TextWriter? output, CancellationToken ct = default)
    {
        if (options.Hsm?.Seal is not null) return;
        var next = Path.Combine(options.DataDir, KmsHost.RootKeyFile) + NextSuffix;
        if (!File.Exists(next)) return;
        var check = await storage.GetSettingAsync(RootKeyBarrier.CheckSetting, ct);
        bool committed;
        using (var seal = FileSeal.Open(next, create: false)) committed = check is not null && new RootKeyBarrier(seal).Verify(check);
        if (committed)
        {
            var retired = Finish(options.DataDir);
            output?.WriteLine($"keyward: completed an interrupted root key rotation; the old key is now {retired}.");
        }
        else
        {
            File.Delete(next);
            DirectorySync.Flush(options.DataDir);
            output?.WriteLine("keyward: removed the new key of a root key rotation that did not complete; the root key is unchanged.");
        }
    }

    private static string Finish(string dataDir)
    {
        var rootKeyFile = Path.Combine(dataDir, KmsHost.RootKeyFile);
        var retired = $"{rootKeyFile}.retired-{DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
        // The old key may already be retired (a crash between the two renames): then only the second is left to do.
        if (File.Exists(rootKeyFile)) File.Move(rootKeyFile, retired);
        File.Move(rootKeyFile + NextSuffix, rootKeyFile);
        DirectorySync.Flush(dataDir);
        return retired;
    }
}
