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

/// <summary>Last uses of keys wait in memory before key_usage is written (SqliteKmsStorage.KeyUsage.cs).</summary>
public sealed class SqliteKeyUsageTests : IDisposable
{
    private const string Key = "arn:aws:kms:us-east-1:111122223333:key/a", App = "arn:aws:iam::111122223333:user/app";
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-usage").FullName;
    private string Path => System.IO.Path.Combine(_dir, "k.db");

    private static Keyward.Core.Audit.AuditEvent Event(int i, string name = "Encrypt", bool used = true, string err = "") =>
        new(T0.AddSeconds(i), name, $"event-{i}", $"request-{i}", App, [Key], used,
            AuditRecords.Json(T0.AddSeconds(i), name, App, [Key], $"\"rid\":\"request-{i}\",\"eid\":\"event-{i}\"{err}"));

    [Fact]
    public async Task Uses_not_yet_written_are_read_at_once_and_rebuilt_after_a_crash()
    {
        var crashed = new SqliteKmsStorage(Path) { UsageWriteInterval = TimeSpan.FromHours(1) };
        await crashed.MigrateAsync();
        // 3 is the last use: 4 failed and 5 is not a cryptographic operation.
        await crashed.AppendAuditEventsAsync([Event(1), Event(2)], "j", 100);
        await crashed.AppendAuditEventsAsync([Event(3), Event(4, used: false, err: ",\"err\":\"DisabledException\""), Event(5, "DescribeKey", used: false)], "j", 200);
        Assert.Equal("event-3", (await crashed.GetKeyLastUsageAsync(Key))!.EventId);
        Assert.Equal(0L, Scalar("SELECT COUNT(*) FROM key_usage"));

        // Another process opens the database as if the first had died: the use is rebuilt from audit_events.
        using (var next = new SqliteKmsStorage(Path) { UsageWriteInterval = TimeSpan.FromHours(1) })
        {
            var u = await next.GetKeyLastUsageAsync(Key);
            Assert.Equal(("Encrypt", "event-3", "request-3", T0.AddSeconds(3)), (u!.Operation, u.EventId, u.RequestId, u.Timestamp));
            await next.AppendAuditEventsAsync([Event(6)], "j", 300);
        }
        // Its Dispose wrote the pending uses, through the last event.
        Assert.Equal("event-6", Scalar("SELECT event_id FROM key_usage WHERE key_arn = 'arn:aws:kms:us-east-1:111122223333:key/a'"));
        Assert.Equal(6L, BitConverter.ToInt64((byte[])Scalar($"SELECT value FROM settings WHERE name = '{SqliteKmsStorage.UsageThroughSetting}'")!));
        crashed.Dispose();
        // The stale process's own Dispose wrote an older use, and key_usage kept the later one.
        Assert.Equal("event-6", Scalar("SELECT event_id FROM key_usage"));
    }

    [Fact]
    public async Task A_batch_writes_the_pending_uses_once_they_are_due()
    {
        using var storage = new SqliteKmsStorage(Path) { UsageWriteInterval = TimeSpan.Zero };
        await storage.MigrateAsync();
        await storage.AppendAuditEventsAsync([Event(1)], "j", 100);
        Assert.Equal("event-1", Scalar("SELECT event_id FROM key_usage"));
        Assert.Equal(1L, BitConverter.ToInt64((byte[])Scalar($"SELECT value FROM settings WHERE name = '{SqliteKmsStorage.UsageThroughSetting}'")!));
    }

    [Theory]
    [InlineData("Encrypt", "", true)]
    [InlineData("Encrypt", ",\"err\":\"NotFoundException\"", false)]
    [InlineData("DescribeKey", "", false)]
    [InlineData("NoSuchOperation", "", false)]
    public void A_stored_record_says_whether_it_used_its_keys(string name, string err, bool used)
    {
        var json = AuditRecords.Json(T0, name, App, [Key], $"\"params\":{{\"a\":[1,{{}}]}},\"rid\":\"r\",\"eid\":\"e\"{err}");
        var found = Keyward.Core.Audit.KeyUses.FromRecord(name, json);
        Assert.Equal(used, found is not null);
        if (used) Assert.Equal((Key, "e", "r"), (string.Join(" ", found!.Value.Keys), found.Value.EventId, found.Value.RequestId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[1]")]
    [InlineData("{\"keys\":[1]}")]
    [InlineData("{\"keys\":\"x\"}")]
    [InlineData("{\"keys\":[\"a\"")]
    public void A_record_that_does_not_parse_used_no_key(string json) =>
        Assert.Null(Keyward.Core.Audit.KeyUses.FromRecord("Encrypt", System.Text.Encoding.UTF8.GetBytes(json)));

    private object? Scalar(string sql)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
