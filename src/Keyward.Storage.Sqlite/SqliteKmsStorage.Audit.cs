using Keyward.Core.Audit;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    // Audit appends come from the indexer in batches, on their own connection with prepared statements, and keep the
    // chain head in memory (this process is the database's only writer). They still take the write lock: SQLite
    // has one writer. Commits are durable (synchronous=FULL) like every other write.
    // The row inserts are SQLite statements bound by position: ADO.NET binds every parameter by name, and SQLite finds
    // a name by a linear search of the statement's names, which for a 32-row insert (256 names) cost more than the insert.
    private SqliteConnection? _audit;
    private sqlite3_stmt? _auditInsert;
    private sqlite3_stmt? _auditInsertMany;
    private const int RowsPerInsert = 32;
    private const int AuditColumnCount = 8;
    private sqlite3_stmt? _usageUpsert;
    private SqliteCommand? _settingUpsert;
    private (long Sequence, byte[] Hash)? _auditHead;
    private readonly (long Seq, AuditEvent Event, byte[] Previous, byte[] Hash)[] _auditChunk = new (long, AuditEvent, byte[], byte[])[RowsPerInsert];

    public async ValueTask AppendAuditEventsAsync(IReadOnlyList<AuditEvent> events, string journalId, long journalOffset, CancellationToken cancellationToken = default)
    {
        await _pool.WriteLock.WaitAsync(cancellationToken);
        try
        {
            var c = AuditConnection();
            RebuildUses(c);
            var (seq, previous) = _auditHead ??= ReadAuditHead(c);
            using var tx = c.BeginTransaction();
            // Rows go in RowsPerInsert at a time (one prepared multi-row INSERT), the rest one by one. The events are
            // taken one chunk at a time and not kept: a batch is thousands of them (see AuditJournal's JournalEntries).
            var chunk = _auditChunk;
            var lastUses = new Dictionary<string, AuditEvent>(StringComparer.Ordinal);
            try
            {
                for (var done = 0; done < events.Count;)
                {
                    var n = Math.Min(RowsPerInsert, events.Count - done);
                    for (var k = 0; k < n; k++)
                    {
                        var e = events[done + k];
                        seq++;
                        var hash = AuditChain.Hash(previous, seq, e.Json.Span);
                        chunk[k] = (seq, e, previous, hash);
                        previous = hash;
                        StorageRows.NoteKeyUse(lastUses, e);
                    }
                    if (n == RowsPerInsert) InsertRows(c, _auditInsertMany!, chunk);
                    else for (var k = 0; k < n; k++) InsertRows(c, _auditInsert!, chunk.AsSpan(k, 1));
                    done += n;
                    // A batch is tens of milliseconds of CPU on the indexer's thread. Between chunks it lets a request
                    // that is waiting for a core run first (sched_yield: a system call per 32 rows). Without it, at half
                    // of the saturating rate, the requests slower than the p99 arrived during a batch two to four times
                    // as often as the batches' share of the time (docs/benchmarks.md).
                    Thread.Yield();
                }
            }
            finally { Array.Clear(chunk); }
            // The events lie in the indexer's read buffer: their uses are kept as records of their own strings.
            var uses = lastUses.Select(p => new KeyUsageRecord(p.Key, p.Value.EventTime, p.Value.EventName, p.Value.EventId, p.Value.RequestId)).ToList();
            var writeUses = UsesDue(uses.Count);
            if (writeUses) WriteUses(c, tx, uses, seq);
            SetAuditSetting(tx, Keyward.Core.Audit.AuditLog.OffsetSettingPrefix + journalId, BitConverter.GetBytes(journalOffset));
            tx.Commit();
            _auditHead = (seq, previous);
            UsesCommitted(writeUses, uses);
        }
        catch
        {
            _auditHead = null; // re-read the head after any failure
            throw;
        }
        finally { _pool.WriteLock.Release(); }
    }

    private SqliteConnection AuditConnection()
    {
        if (_audit is not null) return _audit;
        var c = _pool.Rent();
        _auditInsert = InsertStatement(c, 1);
        _auditInsertMany = InsertStatement(c, RowsPerInsert);
        Check(c, raw.sqlite3_prepare_v2(c.Handle, StorageRows.KeyUsageUpsert, out var usage));
        _usageUpsert = usage;
        _settingUpsert = c.CreateCommand();
        _settingUpsert.CommandText = StorageRows.SettingUpsert;
        _settingUpsert.Parameters.Add(new SqliteParameter("@n", null));
        _settingUpsert.Parameters.Add(new SqliteParameter("@v", null));
        return _audit = c;
    }

    /// <summary>Writes a setting in the audit connection's open transaction <paramref name="tx"/> (its prepared upsert).</summary>
    private void SetAuditSetting(SqliteTransaction tx, string name, byte[] value)
    {
        var cmd = _settingUpsert!;
        cmd.Transaction = tx;
        cmd.Parameters["@n"].Value = name;
        cmd.Parameters["@v"].Value = value;
        cmd.ExecuteNonQuery();
    }

    private static sqlite3_stmt InsertStatement(SqliteConnection c, int rows)
    {
        var values = string.Join(", ", Enumerable.Repeat("(" + string.Join(", ", Enumerable.Repeat("?", AuditColumnCount)) + ")", rows));
        // OR FAIL: a failing row ends the statement without undoing its earlier rows, and the caller then rolls the
        // whole transaction back. So SQLite keeps no statement journal, which for a multi-row INSERT in a transaction
        // it otherwise does (the pages each statement changes, copied first), spilled past 64 KiB to a temporary file:
        // about 0.35 extra system calls per event and a fresh page of the page cache per 4 KiB.
        var sql = $"INSERT OR FAIL INTO audit_events ({StorageRows.AuditColumns}) VALUES {values}";
        Check(c, raw.sqlite3_prepare_v2(c.Handle, sql, out var statement));
        return statement;
    }

    /// <summary>Binds <paramref name="rows"/> by position (1-based, eight per row) and runs the insert in the connection's open transaction.</summary>
    private static void InsertRows(SqliteConnection c, sqlite3_stmt statement, ReadOnlySpan<(long Seq, AuditEvent Event, byte[] Previous, byte[] Hash)> rows)
    {
        for (var r = 0; r < rows.Length; r++)
        {
            var (seq, e, previous, hash) = rows[r];
            var b = r * AuditColumnCount;
            Check(c, raw.sqlite3_bind_int64(statement, b + 1, seq));
            Check(c, raw.sqlite3_bind_int64(statement, b + 2, Ms(e.EventTime)));
            Check(c, raw.sqlite3_bind_text(statement, b + 3, e.EventName));
            Check(c, raw.sqlite3_bind_text(statement, b + 4, e.PrincipalArn));
            Check(c, StorageRows.KeyArns(e) is { } keys ? raw.sqlite3_bind_text(statement, b + 5, keys) : raw.sqlite3_bind_null(statement, b + 5));
            Check(c, raw.sqlite3_bind_blob(statement, b + 6, e.Json.Span));
            Check(c, raw.sqlite3_bind_blob(statement, b + 7, previous));
            Check(c, raw.sqlite3_bind_blob(statement, b + 8, hash));
        }
        var done = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (done != raw.SQLITE_DONE) Check(c, done);
    }

    private static void Check(SqliteConnection c, int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, c.Handle);
    }

    private static (long, byte[]) ReadAuditHead(SqliteConnection c)
    {
        using var head = c.CreateCommand();
        head.CommandText = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1";
        using var r = head.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), (byte[])r.GetValue(1)) : (0L, AuditChain.Genesis);
    }

    private void DisposeAudit()
    {
        WritePendingUses();
        _auditInsert?.Dispose();
        _auditInsertMany?.Dispose();
        _usageUpsert?.Dispose();
        _settingUpsert?.Dispose();
        _audit?.Dispose();
        _audit = null; // a second Dispose writes nothing
    }

    public ValueTask<IReadOnlyList<AuditRecord>> ReadAuditEventsAsync(long afterSequence, int limit, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {StorageRows.AuditColumns} FROM audit_events WHERE seq > $after ORDER BY seq LIMIT $limit");
        cmd.Parameters.AddWithValue("$after", afterSequence);
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadAudit(cmd);
    });

    public ValueTask<IReadOnlyList<AuditRecord>> LookupAuditEventsAsync(AuditLookup lookup, CancellationToken cancellationToken = default) => Read(c =>
    {
        var (sql, parameters) = AuditLookupSql.Build(lookup, postgres: false);
        using var cmd = Command(c, null, sql);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return ReadAudit(cmd);
    });

    private static IReadOnlyList<AuditRecord> ReadAudit(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<AuditRecord>();
        while (r.Read()) list.Add(StorageRows.Audit(r));
        return list;
    }

    public async ValueTask<KeyUsageRecord?> GetKeyLastUsageAsync(string keyArn, CancellationToken cancellationToken = default)
    {
        if (!_usesRebuilt) await RebuildUsesAsync(cancellationToken);
        // The pending use first, then the table: a write of the pending uses that commits in between is then seen in
        // the table (they leave memory only after their commit).
        var pending = PendingUse(keyArn);
        var stored = await Read(c =>
        {
            using var cmd = Command(c, null, "SELECT key_arn, event_time, operation, event_id, request_id FROM key_usage WHERE key_arn = $arn");
            cmd.Parameters.AddWithValue("$arn", keyArn);
            using var r = cmd.ExecuteReader();
            return r.Read() ? StorageRows.KeyUsage(r) : null;
        });
        return pending is not null && (stored is null || pending.Timestamp >= stored.Timestamp) ? pending : stored;
    }
}
