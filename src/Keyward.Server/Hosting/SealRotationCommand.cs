using System.Globalization;
using Keyward.Core.Seal;
using Keyward.Core.Storage;
using Keyward.Pkcs11;

namespace Keyward.Server.Hosting;

/// <summary>
/// `keyward seal rotate`: replaces the root key on a stopped deployment. The new key is made beside the old one: for
/// the file seal written (and made durable) as <c>root.key.next</c>, for the PKCS#11 seal generated in the HSM with the
/// label <c>&lt;keyLabel&gt;.next</c>. Every value the barrier sealed is re-sealed under it in one database transaction;
/// then the old key becomes <c>…retired-&lt;time&gt;</c> (it opens only backups taken before) and the new one takes the
/// old name. A rotation cut short anywhere leaves one whole state: before the commit, the old key still opens
/// everything and the next start removes the new key; after it, the next start (or rotate) finds that the new key opens
/// the database and finishes the renames (<see cref="RecoverAsync"/>).
/// </summary>
public static class SealRotationCommand
{
    public const string NextSuffix = ".next";

    public static async Task<int> RunAsync(KmsServerOptions options, TextWriter output, CancellationToken ct = default)
    {
        var database = Path.Combine(options.DataDir, KmsHost.DatabaseFile);
        if (options.Database is null && !File.Exists(database)) throw new SealException($"There is no database at {database}.");
        using var dataLock = DataDirectoryLock.Acquire(options.DataDir, "seal rotate");
        using var storage = KmsHost.OpenStorage(options);
        await storage.MigrateAsync(ct);
        await RecoverAsync(options, storage, output, ct);
        if (options.Hsm?.Seal is { } hsmSeal) return await RotateInHsmAsync(hsmSeal, storage, output, ct);
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
        if (options.Hsm?.Seal is { } hsmSeal)
        {
            await RecoverInHsmAsync(hsmSeal, storage, output, ct);
            return;
        }
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
        var retired = Retired(rootKeyFile);
        // The old key may already be retired (a crash between the two renames): then only the second is left to do.
        if (File.Exists(rootKeyFile)) File.Move(rootKeyFile, retired);
        File.Move(rootKeyFile + NextSuffix, rootKeyFile);
        DirectorySync.Flush(dataDir);
        return retired;
    }

    private static async Task<int> RotateInHsmAsync(Pkcs11SealOptions seal, IKmsStorage storage, TextWriter output, CancellationToken ct)
    {
        var next = NextOf(seal);
        int count;
        using (var from = Pkcs11Seal.Open(seal, create: false))
        using (var to = Pkcs11Seal.Open(next, create: true))
            count = await SealMigration.RunAsync(storage, new RootKeyBarrier(from), new RootKeyBarrier(to), ct);
        var retired = FinishInHsm(next, seal.KeyLabel);
        output.WriteLine($"keyward: re-sealed {count} values under a new root key '{seal.KeyLabel}' on HSM token '{seal.Token}'; the old " +
                         $"key is now '{retired}'. It opens only backups of the database taken before this rotation: keep it with them, " +
                         "or destroy it with them (pkcs11-tool --delete-object --type secrkey --label ...).");
        return 0;
    }

    /// <summary>The HSM's counterpart of the file seal's recovery: a key <c>&lt;keyLabel&gt;.next</c> is finished or destroyed.</summary>
    private static async Task RecoverInHsmAsync(Pkcs11SealOptions seal, IKmsStorage storage, TextWriter? output, CancellationToken ct)
    {
        var next = NextOf(seal);
        bool committed;
        using (var probe = Pkcs11Seal.OpenIfPresent(next))
        {
            if (probe is null) return;
            var check = await storage.GetSettingAsync(RootKeyBarrier.CheckSetting, ct);
            committed = check is not null && new RootKeyBarrier(probe).Verify(check);
            if (!committed)
            {
                probe.DestroyKey(next.KeyLabel);
                output?.WriteLine("keyward: destroyed the new key of a root key rotation that did not complete; the root key is unchanged.");
                return;
            }
        }
        var retired = FinishInHsm(next, seal.KeyLabel);
        output?.WriteLine($"keyward: completed an interrupted root key rotation; the old key is now '{retired}'.");
    }

    /// <summary>The old key takes a retired label (unless a crash already gave it one), then the new key the root key's.</summary>
    private static string FinishInHsm(Pkcs11SealOptions next, string label)
    {
        using var seal = Pkcs11Seal.Open(next, create: false);
        var retired = Retired(label);
        seal.Relabel(label, retired);
        seal.Relabel(next.KeyLabel, label);
        return retired;
    }

    /// <summary>The name a root key (file or HSM label) takes when a rotation retires it: <c>…retired-&lt;UTC time&gt;</c>.</summary>
    private static string Retired(string name) =>
        $"{name}.retired-{DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";

    /// <summary>The seal on a rotation's new key, <c>&lt;keyLabel&gt;.next</c>, beside the root key.</summary>
    private static Pkcs11SealOptions NextOf(Pkcs11SealOptions seal) => seal with { KeyLabel = seal.KeyLabel + NextSuffix };
}
