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
