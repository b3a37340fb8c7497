using Keyward.Core.Storage;
using Keyward.Storage.Postgres;
using Keyward.Tests.Shared;

namespace Keyward.Storage.Tests;

/// <summary>The storage contract on PostgreSQL: a private server (initdb/pg_ctl), a fresh database per test.</summary>
public sealed class PostgresStorageTests : StorageContract
{
    private string? _database;

    private protected override IKmsStorage Open()
    {
        var server = PostgresServer.Instance.GetAwaiter().GetResult();
        _database ??= server.NewDatabaseAsync().GetAwaiter().GetResult();
        return new PostgresKmsStorage(server.Uri(_database));
    }

    private protected override IKmsStorage Reopen() => Open();
}
