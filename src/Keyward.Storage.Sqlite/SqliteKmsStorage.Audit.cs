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
            var insert = _auditInsert!;
            var usage = _usageUpsert!;
            insert.Transaction = tx;
            usage.Transaction = tx;
            foreach (var e in events)
            {
                seq++;
                var hash = AuditChain.Hash(previous, seq, e.Json);
                insert.Parameters["$seq"].Value = seq;
                insert.Parameters["$t"].Value = Ms(e.EventTime);
                insert.Parameters["$name"].Value = e.EventName;
                insert.Parameters["$principal"].Value = e.PrincipalArn;
                insert.Parameters["$keys"].Value = (object?)StorageRows.KeyArns(e) ?? DBNull.Value;
                insert.Parameters["$json"].Value = e.Json;
                insert.Parameters["$prev"].Value = previous;
                insert.Parameters["$hash"].Value = hash;
                insert.ExecuteNonQuery();
                previous = hash;
            }
            // One usage row per key per batch: the last successful use in it.
            foreach (var e in LastUses(events))
            {
                foreach (var arn in e.KeyArns.Distinct(StringComparer.Ordinal))
                {
                    usage.Parameters["$arn"].Value = arn;
                    usage.Parameters["$t"].Value = Ms(e.EventTime);
                    usage.Parameters["$op"].Value = e.EventName;
                    usage.Parameters["$event"].Value = e.EventId;
                    usage.Parameters["$request"].Value = e.RequestId;
                    usage.ExecuteNonQuery();
                }
            }
            var offset = _journalOffset!;
            offset.Transaction = tx;
            offset.Parameters["$n"].Value = Keyward.Core.Audit.AuditLog.OffsetSettingPrefix + journalId;
            offset.Parameters["$v"].Value = BitConverter.GetBytes(journalOffset);
            offset.ExecuteNonQuery();
            try { tx.Commit(); }
            catch
            {
                _auditHead = null; // re-read after a failed commit
                throw;
            }
            _auditHead = (seq, previous);
        }
        catch
        {
            _auditHead = null;
            throw;
        }
        finally { _pool.WriteLock.Release(); }
    }

    /// <summary>For each key, the last event of the batch that used it (events are in order).</summary>
    internal static IEnumerable<AuditEvent> LastUses(IReadOnlyList<AuditEvent> events)
    {
        var last = new Dictionary<string, AuditEvent>(StringComparer.Ordinal);
        foreach (var e in events)
            if (e.UsedKey) foreach (var arn in e.KeyArns) last[arn] = e with { KeyArns = [arn] };
        return last.Values;
    }

    private SqliteConnection AuditConnection()
    {
        if (_audit is not null) return _audit;
        var c = _pool.Rent();
        using (var pragma = c.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=FULL";
            pragma.ExecuteNonQuery();
        }
        _auditInsert = c.CreateCommand();
        _auditInsert.CommandText = $"INSERT INTO audit_events ({StorageRows.AuditColumns}) VALUES ($seq, $t, $name, $principal, $keys, $json, $prev, $hash)";
        foreach (var p in new[] { "$seq", "$t", "$name", "$principal", "$keys", "$json", "$prev", "$hash" }) _auditInsert.Parameters.Add(new SqliteParameter(p, null));
        _usageUpsert = c.CreateCommand();
        _usageUpsert.CommandText =
            "INSERT INTO key_usage (key_arn, event_time, operation, event_id, request_id) VALUES ($arn, $t, $op, $event, $request) " +
            "ON CONFLICT (key_arn) DO UPDATE SET event_time = excluded.event_time, operation = excluded.operation, " +
            "event_id = excluded.event_id, request_id = excluded.request_id WHERE excluded.event_time >= key_usage.event_time";
        foreach (var p in new[] { "$arn", "$t", "$op", "$event", "$request" }) _usageUpsert.Parameters.Add(new SqliteParameter(p, null));
        _journalOffset = c.CreateCommand();
        _journalOffset.CommandText = "INSERT INTO settings (name, value) VALUES ($n, $v) ON CONFLICT (name) DO UPDATE SET value = excluded.value";
        _journalOffset.Parameters.Add(new SqliteParameter("$n", null));
        _journalOffset.Parameters.Add(new SqliteParameter("$v", null));
        return _audit = c;
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
