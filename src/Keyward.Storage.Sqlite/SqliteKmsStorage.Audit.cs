using Keyward.Core.Audit;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

internal sealed partial class SqliteKmsStorage
{
    // Audit appends come from the indexer in batches, on their own connection with prepared statements, and keep the
    // chain head in memory (this process is the database's only writer). They still take the write lock: SQLite
    // has one writer. Commits are durable (synchronous=FULL) like every other write.
    private SqliteConnection? _audit;
    private SqliteCommand? _auditInsert;
    private SqliteCommand? _auditInsertMany;
    private const int RowsPerInsert = 32;
    private static readonly string[] AuditParameters = ["$seq", "$t", "$name", "$principal", "$keys", "$json", "$prev", "$hash"];
    private SqliteCommand? _usageUpsert;
    private SqliteCommand? _journalOffset;
    private (long Sequence, byte[] Hash)? _auditHead;

    public async ValueTask AppendAuditEventsAsync(IReadOnlyList<AuditEvent> events, string journalId, long journalOffset, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0) return;
        await _pool.WriteLock.WaitAsync(cancellationToken);
        try
        {
            var c = AuditConnection();
            var (seq, previous) = _auditHead ??= ReadAuditHead(c);
            using var tx = c.BeginTransaction();
            var usage = _usageUpsert!;
            usage.Transaction = tx;
            // Rows go in RowsPerInsert at a time (one prepared multi-row INSERT), the rest one by one.
            var rows = new (long Seq, AuditEvent Event, byte[] Previous, byte[] Hash)[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                seq++;
                var hash = AuditChain.Hash(previous, seq, events[i].Json);
                rows[i] = (seq, events[i], previous, hash);
                previous = hash;
            }
            var done = 0;
            for (; done + RowsPerInsert <= rows.Length; done += RowsPerInsert) InsertRows(_auditInsertMany!, tx, rows.AsSpan(done, RowsPerInsert));
            for (; done < rows.Length; done++) InsertRows(_auditInsert!, tx, rows.AsSpan(done, 1));
            foreach (var (arn, e) in StorageRows.LastKeyUses(events))
            {
                usage.Parameters["@arn"].Value = arn;
                usage.Parameters["@t"].Value = Ms(e.EventTime);
                usage.Parameters["@op"].Value = e.EventName;
                usage.Parameters["@event"].Value = e.EventId;
                usage.Parameters["@request"].Value = e.RequestId;
                usage.ExecuteNonQuery();
            }
            var offset = _journalOffset!;
            offset.Transaction = tx;
            offset.Parameters["@n"].Value = Keyward.Core.Audit.AuditLog.OffsetSettingPrefix + journalId;
            offset.Parameters["@v"].Value = BitConverter.GetBytes(journalOffset);
            offset.ExecuteNonQuery();
            tx.Commit();
            _auditHead = (seq, previous);
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
        _auditInsert = InsertCommand(c, 1);
        _auditInsertMany = InsertCommand(c, RowsPerInsert);
        _usageUpsert = c.CreateCommand();
        _usageUpsert.CommandText = StorageRows.KeyUsageUpsert;
        foreach (var p in new[] { "@arn", "@t", "@op", "@event", "@request" }) _usageUpsert.Parameters.Add(new SqliteParameter(p, null));
        _journalOffset = c.CreateCommand();
        _journalOffset.CommandText = StorageRows.SettingUpsert;
        _journalOffset.Parameters.Add(new SqliteParameter("@n", null));
        _journalOffset.Parameters.Add(new SqliteParameter("@v", null));
        return _audit = c;
    }

    private static SqliteCommand InsertCommand(SqliteConnection c, int rows)
    {
        var cmd = c.CreateCommand();
        var values = Enumerable.Range(0, rows).Select(r => "(" + string.Join(", ", AuditParameters.Select(p => p + r)) + ")");
        cmd.CommandText = $"INSERT INTO audit_events ({StorageRows.AuditColumns}) VALUES {string.Join(", ", values)}";
        for (var r = 0; r < rows; r++) foreach (var p in AuditParameters) cmd.Parameters.Add(new SqliteParameter(p + r, null));
        return cmd;
    }

    private static void InsertRows(SqliteCommand cmd, SqliteTransaction tx, ReadOnlySpan<(long Seq, AuditEvent Event, byte[] Previous, byte[] Hash)> rows)
    {
        cmd.Transaction = tx;
        var p = cmd.Parameters;
        for (var r = 0; r < rows.Length; r++)
        {
            var (seq, e, previous, hash) = rows[r];
            var b = r * AuditParameters.Length;
            p[b].Value = seq;
            p[b + 1].Value = Ms(e.EventTime);
            p[b + 2].Value = e.EventName;
            p[b + 3].Value = e.PrincipalArn;
            p[b + 4].Value = (object?)StorageRows.KeyArns(e) ?? DBNull.Value;
            p[b + 5].Value = e.Json;
            p[b + 6].Value = previous;
            p[b + 7].Value = hash;
        }
        cmd.ExecuteNonQuery();
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
        _auditInsert?.Dispose();
        _auditInsertMany?.Dispose();
        _usageUpsert?.Dispose();
        _journalOffset?.Dispose();
        _audit?.Dispose();
    }

    public ValueTask<IReadOnlyList<AuditRecord>> ReadAuditEventsAsync(long afterSequence, int limit, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {StorageRows.AuditColumns} FROM audit_events WHERE seq > $after ORDER BY seq LIMIT $limit");
        cmd.Parameters.AddWithValue("$after", afterSequence);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<AuditRecord>();
        while (r.Read()) list.Add(StorageRows.Audit(r));
        return (IReadOnlyList<AuditRecord>)list;
    });

    public ValueTask<KeyUsageRecord?> GetKeyLastUsageAsync(string keyArn, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, "SELECT key_arn, event_time, operation, event_id, request_id FROM key_usage WHERE key_arn = $arn");
        cmd.Parameters.AddWithValue("$arn", keyArn);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StorageRows.KeyUsage(r) : null;
    });
}
