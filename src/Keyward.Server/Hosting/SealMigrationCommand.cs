using Keyward.Core.Seal;
using Keyward.Pkcs11;

namespace Keyward.Server.Hosting;

/// <summary>
/// `keyward seal migrate`: moves a stopped deployment from the file seal to the PKCS#11 seal the
/// configuration names. Afterwards the root key file is renamed to root.key.migrated; the
/// database opens only with the HSM. docs/operations.md has the procedure.
/// </summary>
public static class SealMigrationCommand
{
    public static async Task<int> RunAsync(KmsServerOptions options, TextWriter output, CancellationToken ct = default)
    {
        if (options.Hsm?.Seal is not { } target)
            throw new SealException("The configuration names no PKCS#11 seal (\"seal\" with module, token and keyLabel).");
        var database = Path.Combine(options.DataDir, KmsHost.DatabaseFile);
        var rootKeyFile = Path.Combine(options.DataDir, KmsHost.RootKeyFile);
        if (options.Database is null && !File.Exists(database)) throw new SealException($"There is no database at {database}.");
        using var dataLock = DataDirectoryLock.Acquire(options.DataDir, "seal migrate");
        using var storage = KmsHost.OpenStorage(options);
        await storage.MigrateAsync(ct);
        using var from = FileSeal.Open(rootKeyFile, create: false);
        using var to = Pkcs11Seal.Open(target, create: true);
        var count = await SealMigration.RunAsync(storage, new RootKeyBarrier(from), new RootKeyBarrier(to), ct);
        File.Move(rootKeyFile, rootKeyFile + ".migrated");
        output.WriteLine($"keyward: re-sealed {count} values under {to.Description}; {RootKeyFileName} is now {RootKeyFileName}.migrated (keep it with your backups until you have checked the new seal, then destroy it).");
        return 0;
    }

    private const string RootKeyFileName = KmsHost.RootKeyFile;
}
