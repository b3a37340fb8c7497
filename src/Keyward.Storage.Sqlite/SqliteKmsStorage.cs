using Keyward.Core.Keys;
using Keyward.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

/// <summary>
/// The embedded storage: one SQLite file in WAL mode with synchronous=FULL, so every
/// acknowledged write survives a crash or power loss. Microsoft.Data.Sqlite is synchronous;
/// the ValueTask signatures serve the storage interface shared with PostgreSQL.
/// </summary>
public sealed partial class SqliteKmsStorage : IKmsStorage
{
    private readonly SqliteConnectionPool _pool;

    public SqliteKmsStorage(string path) => _pool = new SqliteConnectionPool(path);

    // Migrations run with foreign keys off, as SQLite's table rebuilds need (a rebuilt parent is dropped and its copy
    // renamed), and every reference is checked before they commit.
    public ValueTask MigrateAsync(CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        Execute(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT");
        using var read = Command(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        var current = Convert.ToInt32(read.ExecuteScalar());
        if (current > SqliteMigrations.All.Length)
            throw new InvalidOperationException($"The database schema (version {current}) is newer than this Keyward (version {SqliteMigrations.All.Length}).");
        for (var v = current + 1; v <= SqliteMigrations.All.Length; v++)
        {
            Execute(c, tx, SqliteMigrations.All[v - 1]);
            using var mark = Command(c, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $t)");
            mark.Parameters.AddWithValue("$v", v);
            mark.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            mark.ExecuteNonQuery();
        }
        using var check = Command(c, tx, "PRAGMA foreign_key_check");
        using var broken = check.ExecuteReader();
        if (broken.Read()) throw new InvalidOperationException($"A migration left a broken reference in table {broken.GetString(0)}.");
    }, foreignKeys: false);

    public ValueTask<byte[]?> GetSettingAsync(string name, CancellationToken cancellationToken = default) => Read(c =>
    {
        // Read before migrations run (the seal check), so a database without tables yet is allowed.
        using (var exists = Command(c, null, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'"))
            if (exists.ExecuteScalar() is null) return null;
        return ReadSetting(c, name);
    });

    private static byte[]? ReadSetting(SqliteConnection c, string name)
    {
        using var cmd = Command(c, null, "SELECT value FROM settings WHERE name = $n");
        cmd.Parameters.AddWithValue("$n", name);
        return cmd.ExecuteScalar() as byte[];
    }

    public ValueTask<byte[]> GetOrAddSettingAsync(string name, byte[] value, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var insert = Command(c, tx, "INSERT INTO settings (name, value) VALUES ($n, $v) ON CONFLICT (name) DO NOTHING");
        insert.Parameters.AddWithValue("$n", name);
        insert.Parameters.AddWithValue("$v", value);
        insert.ExecuteNonQuery();
        using var read = Command(c, tx, "SELECT value FROM settings WHERE name = $n");
        read.Parameters.AddWithValue("$n", name);
        return (byte[])read.ExecuteScalar()!;
    });

    public void Dispose()
    {
        DisposeAudit();
        _pool.Dispose();
    }

    // Plumbing.

    private ValueTask<T> Read<T>(Func<SqliteConnection, T> body)
    {
        var c = _pool.Rent();
        try { return ValueTask.FromResult(body(c)); }
        finally { _pool.Return(c); }
    }

    // One writer at a time (SQLite has one anyway); waiting is asynchronous so writers queued
    // behind an fsync do not hold thread-pool threads. The commit itself blocks its thread.
    private async ValueTask<T> Write<T>(Func<SqliteConnection, SqliteTransaction, T> body, bool synchronousFull = true, bool foreignKeys = true)
    {
        await _pool.WriteLock.WaitAsync();
        var c = _pool.Rent();
        try
        {
            if (!synchronousFull) Pragma(c, "PRAGMA synchronous=NORMAL");
            if (!foreignKeys) Pragma(c, "PRAGMA foreign_keys=OFF");
            try
            {
                using var tx = c.BeginTransaction();
                var result = body(c, tx);
                tx.Commit();
                return result;
            }
            finally
            {
                if (!synchronousFull) Pragma(c, "PRAGMA synchronous=FULL");
                if (!foreignKeys) Pragma(c, "PRAGMA foreign_keys=ON");
            }
        }
        finally
        {
            _pool.Return(c);
            _pool.WriteLock.Release();
        }
    }

    private async ValueTask Write(Action<SqliteConnection, SqliteTransaction> body, bool synchronousFull = true, bool foreignKeys = true) =>
        await Write((c, tx) =>
        {
            body(c, tx);
            return true;
        }, synchronousFull, foreignKeys);

    private static void Pragma(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // The hot path's reads (a key, a material version, an alias: what a request needs when the cache misses), prepared
    // once per pooled connection and kept: Microsoft.Data.Sqlite prepares a new command's SQL on every execution.
    // A connection is used by one thread at a time (rented from the pool), so its commands are too.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> s_prepared = new();

    /// <summary>The connection's prepared command for <paramref name="sql"/>; the caller sets its parameters' values.</summary>
    private static SqliteCommand Prepared(SqliteConnection c, string sql, params string[] parameters)
    {
        var commands = s_prepared.GetOrCreateValue(c);
        if (commands.TryGetValue(sql, out var cmd)) return cmd;
        cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var name in parameters) cmd.Parameters.Add(new SqliteParameter(name, null));
        cmd.Prepare();
        commands[sql] = cmd;
        return cmd;
    }

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static void Execute(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        using var cmd = Command(c, tx, sql);
        cmd.ExecuteNonQuery();
    }

    private static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static object Nullable(DateTimeOffset? t) => t is { } v ? Ms(v) : DBNull.Value;

}
