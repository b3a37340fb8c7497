using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

/// <summary>
/// Open connections with the per-connection settings applied once: WAL, synchronous=FULL
/// (a commit is on disk before it returns), foreign keys, a busy timeout. Writers take
/// <see cref="WriteLock"/> so SQLite's single writer is never contended into SQLITE_BUSY.
/// </summary>
internal sealed class SqliteConnectionPool(string path) : IDisposable
{
    private readonly ConcurrentBag<SqliteConnection> _idle = new();
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = false,
    }.ToString();

    public SemaphoreSlim WriteLock { get; } = new(1, 1);

    public SqliteConnection Rent()
    {
        if (_idle.TryTake(out var connection)) return connection;
        connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    public void Return(SqliteConnection connection)
    {
        if (_idle.Count < 32) _idle.Add(connection);
        else connection.Dispose();
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var c)) c.Dispose();
        WriteLock.Dispose();
    }
}
