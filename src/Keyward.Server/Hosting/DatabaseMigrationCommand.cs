using Keyward.Storage.Postgres;

namespace Keyward.Server.Hosting;

/// <summary>
/// `keyward db migrate`: applies pending schema migrations and says which version the database is at.
/// Safe while nodes run (PostgreSQL migrations take an advisory lock, and every migration only adds),
/// so a deployment can migrate once before rolling new nodes out. Needs no seal: it reads no secret.
/// </summary>
public static class DatabaseMigrationCommand
{
    public static async Task<int> RunAsync(KmsServerOptions options, TextWriter output, CancellationToken ct = default)
    {
        // The SQLite database is the data directory's: take its lock. PostgreSQL migrates beside running nodes.
        using var dataLock = options.Database is null ? DataDirectoryLock.Acquire(options.DataDir, "db migrate") : null;
        using var storage = KmsHost.OpenStorage(options);
        if (storage is PostgresKmsStorage pg)
        {
            var before = await pg.SchemaVersionAsync(ct);
            await pg.MigrateAsync(ct);
            output.WriteLine($"keyward: {pg.Description} is at schema version {PostgresKmsStorage.LatestSchemaVersion} (was {before}).");
        }
        else
        {
            await storage.MigrateAsync(ct);
            output.WriteLine($"keyward: {Path.Combine(options.DataDir, KmsHost.DatabaseFile)} is migrated.");
        }
        return 0;
    }
}
