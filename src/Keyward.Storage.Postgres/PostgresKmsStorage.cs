using System.Data;
using Keyward.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Keyward.Storage.Postgres;

/// <summary>
/// The storage of several nodes: one PostgreSQL database (Npgsql, pooled). Every write is one
/// transaction, committed (and so durable under PostgreSQL's default synchronous_commit) before it
/// returns. Optimistic concurrency is the same as SQLite's: UPDATE … WHERE version = expected, which
/// under READ COMMITTED re-checks the row after a concurrent writer commits, so no update is lost.
/// A database that cannot be reached is <see cref="StorageUnavailableException"/>, never a hang:
/// connecting and every command are bounded by timeouts.
/// </summary>
public sealed partial class PostgresKmsStorage : IKmsStorage, IStorageChangeFeed
{
    // Serializes migrations of concurrently starting nodes (pg_advisory_xact_lock key).
    private const long MigrationLock = 0x4b_65_79_77_61_72_64; // "Keyward"

    private readonly NpgsqlDataSource _source;
    private readonly PostgresChangeFeed _feed;

    public PostgresKmsStorage(string database)
    {
        var connectionString = PostgresConnectionString.Parse(database);
        _source = NpgsqlDataSource.Create(connectionString);
        Description = PostgresConnectionString.Describe(database);
        _feed = new PostgresChangeFeed(connectionString);
    }

    /// <summary>Where the database is, without user or password (for logs).</summary>
    public string Description { get; }

    public event Action<StorageChange>? Changed
    {
        add => _feed.Changed += value;
        remove => _feed.Changed -= value;
    }

    public event Action? Reset
    {
        add => _feed.Reset += value;
        remove => _feed.Reset -= value;
    }

    /// <summary>Starts listening for change notices (a node does; offline commands need not).</summary>
    public void StartChangeFeed() => _feed.Start();

    public bool ChangeFeedListening => _feed.Listening;

    public ValueTask MigrateAsync(CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await Execute(c, tx, "SELECT pg_advisory_xact_lock(" + MigrationLock + ")", ct);
        await Execute(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)", ct);
        await using var read = Command(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        var current = Convert.ToInt32(await read.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        if (current > PostgresMigrations.All.Length)
            throw new InvalidOperationException($"The database schema (version {current}) is newer than this Keyward (version {PostgresMigrations.All.Length}).");
        for (var v = current + 1; v <= PostgresMigrations.All.Length; v++)
        {
            await Execute(c, tx, PostgresMigrations.All[v - 1], ct);
            await using var mark = Command(c, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t)");
            Int(mark, "v", v);
            Long(mark, "t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await mark.ExecuteNonQueryAsync(ct);
        }
        return true;
    }, cancellationToken).AsUnit();

    /// <summary>The schema version the database is at (0 before the first migration).</summary>
    public ValueTask<int> SchemaVersionAsync(CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var exists = Command(c, null, "SELECT to_regclass('schema_migrations') IS NOT NULL");
        if (!(bool)(await exists.ExecuteScalarAsync(ct))!) return 0;
        await using var cmd = Command(c, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }, cancellationToken);

    public static int LatestSchemaVersion => PostgresMigrations.All.Length;

    public ValueTask<byte[]?> GetSettingAsync(string name, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        // Read before migrations run (the seal check), so a database without tables yet is allowed.
        await using (var exists = Command(c, null, "SELECT to_regclass('settings') IS NOT NULL"))
            if (!(bool)(await exists.ExecuteScalarAsync(ct))!) return null;
        await using var cmd = Command(c, null, "SELECT value FROM settings WHERE name = @n");
        Text(cmd, "n", name);
        return await cmd.ExecuteScalarAsync(ct) as byte[];
    }, cancellationToken);

    public ValueTask<byte[]> GetOrAddSettingAsync(string name, byte[] value, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var insert = Command(c, tx, "INSERT INTO settings (name, value) VALUES (@n, @v) ON CONFLICT (name) DO NOTHING");
        Text(insert, "n", name);
        Bytes(insert, "v", value);
        await insert.ExecuteNonQueryAsync(ct);
        await using var read = Command(c, tx, "SELECT value FROM settings WHERE name = @n");
        Text(read, "n", name);
        return (byte[])(await read.ExecuteScalarAsync(ct))!;
    }, cancellationToken);

    public void Dispose()
    {
        _feed.Dispose();
        _source.Dispose();
    }

    // Plumbing.

    private async ValueTask<T> Read<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> body, CancellationToken ct)
    {
        try
        {
            await using var c = await _source.OpenConnectionAsync(ct);
            return await body(c, ct);
        }
        catch (Exception e) when (Unavailable(e)) { throw new StorageUnavailableException("The database is unavailable.", e); }
    }

    private async ValueTask<T> Write<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> body, CancellationToken ct)
    {
        try
        {
            await using var c = await _source.OpenConnectionAsync(ct);
            await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            var result = await body(c, tx, ct);
            await tx.CommitAsync(ct);
            return result;
        }
        catch (Exception e) when (Unavailable(e)) { throw new StorageUnavailableException("The database is unavailable.", e); }
    }

    /// <summary>
    /// A failure of the database or the way to it, rather than of the statement: connection refused or
    /// broken, timeouts, the server-side states of a shutdown, restart or failover (class 08, 57P0x,
    /// 53 insufficient resources, 40001/40P01 serialization failure and deadlock, which a retry resolves),
    /// and a login the database refuses (class 28, 3D000 no such database). Npgsql's messages for these
    /// name the user and database, never the password.
    /// </summary>
    internal static bool Unavailable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
                                || pg.SqlState.StartsWith("53", StringComparison.Ordinal) || pg.SqlState.StartsWith("28", StringComparison.Ordinal)
                                || pg.SqlState is "40001" or "40P01" or "3D000",
        NpgsqlException => true,
        TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        _ => false,
    };

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql) => new(sql, c, tx);

    private static async Task Execute(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, sql);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    // Parameters are typed explicitly: PostgreSQL cannot infer the type of a NULL, and `@x IS NULL` needs one.
    private static void Text(NpgsqlCommand cmd, string name, string? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });

    private static void Bytes(NpgsqlCommand cmd, string name, byte[]? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Bytea) { Value = (object?)value ?? DBNull.Value });

    private static void Long(NpgsqlCommand cmd, string name, long? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Bigint) { Value = value is { } v ? v : DBNull.Value });

    private static void Int(NpgsqlCommand cmd, string name, int? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Integer) { Value = value is { } v ? v : DBNull.Value });

    private static void Time(NpgsqlCommand cmd, string name, DateTimeOffset? value) => Long(cmd, name, value?.ToUnixTimeMilliseconds());

    private static async Task<IReadOnlyList<T>> ReadAll<T>(NpgsqlCommand cmd, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await r.ReadAsync(ct)) list.Add(read(r));
        return list;
    }

    private static async Task<T?> ReadOne<T>(NpgsqlCommand cmd, Func<NpgsqlDataReader, T> read, CancellationToken ct) where T : class
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? read(r) : null;
    }
}

internal static class ValueTaskExtensions
{
    public static async ValueTask AsUnit<T>(this ValueTask<T> task) => await task;
}
