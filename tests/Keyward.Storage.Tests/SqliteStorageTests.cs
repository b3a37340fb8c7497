using Keyward.Core.Storage;
using Keyward.Storage.Sqlite;

namespace Keyward.Storage.Tests;

public sealed class SqliteStorageTests : StorageContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-sqlite").FullName;

    private string Path => System.IO.Path.Combine(_dir, "keyward.db");

    private protected override IKmsStorage Open() => new SqliteKmsStorage(Path);

    private protected override IKmsStorage Reopen() => new SqliteKmsStorage(Path);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class SqliteSettingsTests
{
    [Fact]
    public async Task Database_is_in_wal_mode()
    {
        var dir = Directory.CreateTempSubdirectory("keyward-wal").FullName;
        var path = System.IO.Path.Combine(dir, "k.db");
        using (var storage = new SqliteKmsStorage(path)) await storage.MigrateAsync();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", cmd.ExecuteScalar() as string);
        }
        Directory.Delete(dir, recursive: true);
    }
}

public sealed class SqliteMigrationTests
{
    /// <summary>A database written by the previous release (schema 2) keeps its keys and material through migration 3.</summary>
    [Fact]
    public async Task A_schema_2_database_migrates_with_its_material()
    {
        var dir = Directory.CreateTempSubdirectory("keyward-migrate").FullName;
        var path = System.IO.Path.Combine(dir, "k.db");
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText =
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT;" +
                SqliteMigrations.All[0] + SqliteMigrations.All[1] +
                "INSERT INTO schema_migrations VALUES (1, 0), (2, 0);" +
                "INSERT INTO keys VALUES ('5f0c6d3e-0000-4000-8000-000000000001', '111122223333', 1, 'd', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', " +
                "'AWS_KMS', 'Enabled', NULL, NULL, 'aa', '{}', 1);" +
                "INSERT INTO key_materials VALUES ('5f0c6d3e-0000-4000-8000-000000000001', 'aa', x'0102', 5, NULL);";
            cmd.ExecuteNonQuery();
        }
        using (var storage = new SqliteKmsStorage(path))
        {
            await storage.MigrateAsync();
            var key = await storage.GetKeyAsync("5f0c6d3e-0000-4000-8000-000000000001");
            Assert.Equal(("aa", 0, (int?)null), (key!.CurrentMaterialId, key.OnDemandRotations, key.RotationPeriodInDays));
            var material = Assert.Single(await storage.ListMaterialsAsync(key.KeyId, 0, 10));
            Assert.Equal((1, false), (material.Sequence, material.PendingRotation));
            Assert.Equal(new byte[] { 1, 2 }, material.Wrapped);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
