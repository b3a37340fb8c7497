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

public sealed class SqliteRegionMigrationTests
{
    /// <summary>
    /// A database of schema 10 (before Regions) migrates with its keys, aliases and custom key stores, which the first
    /// start puts in its home Region; the foreign key from keys to the rebuilt custom_key_stores still holds.
    /// </summary>
    [Fact]
    public async Task A_schema_10_database_migrates_into_its_home_region()
    {
        var dir = Directory.CreateTempSubdirectory("keyward-migrate-regions").FullName;
        var path = System.IO.Path.Combine(dir, "k.db");
        const string keyId = "5f0c6d3e-0000-4000-8000-000000000001";
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText =
                "PRAGMA foreign_keys=ON;" +
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT;" +
                string.Concat(SqliteMigrations.All[..10]) +
                "INSERT INTO schema_migrations VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0), (9, 0), (10, 0);" +
                "INSERT INTO custom_key_stores (custom_key_store_id, account_id, name, store_type, connection_state, creation_date, version) " +
                "VALUES ('cks-0123456789abcdef0', '111122223333', 'hsm', 'AWS_CLOUDHSM', 'DISCONNECTED', 1, 1);" +
                "INSERT INTO keys (key_id, account_id, creation_date, description, key_spec, key_usage, origin, key_state, current_material_id, " +
                $"policy, version, custom_key_store_id) VALUES ('{keyId}', '111122223333', 1, 'd', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', " +
                "'AWS_CLOUDHSM', 'Enabled', 'aa', '{}', 1, 'cks-0123456789abcdef0');" +
                "INSERT INTO key_materials (key_id, material_id, seq, wrapped, created_at) VALUES " +
                $"('{keyId}', 'aa', 1, x'0102', 5);" +
                $"INSERT INTO aliases VALUES ('111122223333', 'alias/old', '{keyId}', 1, 1);";
            cmd.ExecuteNonQuery();
        }
        using (var storage = new SqliteKmsStorage(path))
        {
            await storage.MigrateAsync();
            await storage.AdoptRegionlessRowsAsync("eu-central-1");
            await storage.AdoptRegionlessRowsAsync("us-east-1"); // idempotent: the rows have their Region now
            var key = await storage.GetKeyAsync(keyId);
            Assert.Equal("eu-central-1", key!.Region);
            Assert.Null(key.PrimaryRegion);
            Assert.Equal("cks-0123456789abcdef0", key.CustomKeyStoreId);
            Assert.Equal([1, 2], (await storage.GetMaterialAsync(keyId, "aa"))!.Wrapped);
            Assert.Equal(keyId, (await storage.GetAliasAsync("111122223333", "eu-central-1", "alias/old"))!.TargetKeyId);
            Assert.Null(await storage.GetAliasAsync("111122223333", "us-east-1", "alias/old"));
            Assert.Equal("eu-central-1", Assert.Single(await storage.ListCustomKeyStoresAsync("111122223333")).Region);
            Assert.Equal(1, await storage.CountKeysInCustomKeyStoreAsync("cks-0123456789abcdef0"));
            // The rebuilt store table is still the keys' parent: a key cannot name a store that does not exist.
            var orphan = key with { KeyId = "5f0c6d3e-0000-4000-8000-000000000002", CustomKeyStoreId = "cks-00000000000000000" };
            await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(async () => await storage.CreateKeyAsync(orphan, null, []));
            Assert.False(await storage.DeleteCustomKeyStoreAsync("cks-0123456789abcdef0", 1));
            Assert.True(await storage.DeleteKeyAsync(keyId, 1));
            Assert.True(await storage.DeleteCustomKeyStoreAsync("cks-0123456789abcdef0", 1));
        }
        Directory.Delete(dir, recursive: true);
    }
}
