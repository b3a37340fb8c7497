using Keyward.Core.Audit;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    // The last use of each key (GetKeyLastUsage) is gathered in memory and written to key_usage at most every
    // UsageWriteInterval, when UsagePendingLimit keys wait, and at Dispose; not with every audit batch. Over many keys
    // each batch's upserts dirtied a page of key_usage per key (4 KiB of WAL for a 150-byte row): a quarter of
    // Encrypt's throughput at 100,000 keys. Reads see the pending uses.
    // Nothing is lost in a crash: UsageThroughSetting holds the sequence of the last audit event key_usage reflects,
    // written in the transaction that writes the uses, and the uses of the events after it are rebuilt from
    // audit_events (KeyUses.FromRecord) before this process's first read or append of them.
    /// <summary>How long the last uses of keys may wait in memory before a batch writes them (tests set it).</summary>
    internal TimeSpan UsageWriteInterval { get; init; } = TimeSpan.FromSeconds(2);
    private const int UsagePendingLimit = 50_000;
    internal const string UsageThroughSetting = "audit-key-usage-through";
    private readonly Dictionary<string, KeyUsageRecord> _pendingUses = new(StringComparer.Ordinal);
    private readonly Lock _usesGate = new();
    private long _usesWrittenAt = Environment.TickCount64;
    private volatile bool _usesRebuilt;

    /// <summary>Whether this batch writes the pending uses (with its own) to key_usage. Called under the write lock.</summary>
    private bool UsesDue(int batchUses) =>
        Environment.TickCount64 - _usesWrittenAt >= (long)UsageWriteInterval.TotalMilliseconds || PendingUses + batchUses >= UsagePendingLimit;

    private int PendingUses
    {
        get { lock (_usesGate) return _pendingUses.Count; }
    }

    /// <summary>Upserts the pending uses and then <paramref name="batch"/>'s in <paramref name="tx"/>, through event <paramref name="through"/>.</summary>
    private void WriteUses(SqliteConnection c, SqliteTransaction tx, IEnumerable<KeyUsageRecord> batch, long through)
    {
        List<KeyUsageRecord> uses;
        lock (_usesGate) uses = [.. _pendingUses.Values];
        uses.AddRange(batch);
        // In key order, so the upserts walk key_usage's index once from end to end: in the order they came, tens of
        // thousands of them re-read the same pages from the file many times over. key_usage keeps the later of two
        // uses of a key (the upsert's WHERE), so their order is free.
        uses.Sort(static (a, b) => string.CompareOrdinal(a.KeyArn, b.KeyArn));
        // Bound by position (the upsert's parameters are numbered in the order they appear), as the row inserts are.
        var usage = _usageUpsert!;
        foreach (var u in uses)
        {
            Check(c, raw.sqlite3_bind_text(usage, 1, u.KeyArn));
            Check(c, raw.sqlite3_bind_int64(usage, 2, Ms(u.Timestamp)));
            Check(c, raw.sqlite3_bind_text(usage, 3, u.Operation));
            Check(c, raw.sqlite3_bind_text(usage, 4, u.EventId));
            Check(c, raw.sqlite3_bind_text(usage, 5, u.RequestId));
            var done = raw.sqlite3_step(usage);
            raw.sqlite3_reset(usage);
            if (done != raw.SQLITE_DONE) Check(c, done);
        }
        SetAuditSetting(tx, UsageThroughSetting, BitConverter.GetBytes(through));
    }

    /// <summary>After the batch's commit: the pending uses were written (and are dropped) or the batch's join them.</summary>
    private void UsesCommitted(bool written, IEnumerable<KeyUsageRecord> batch)
    {
        lock (_usesGate)
        {
            if (written) _pendingUses.Clear();
            else foreach (var u in batch) Pend(u);
        }
        if (written) _usesWrittenAt = Environment.TickCount64;
    }

    // Events come in order, so a use no older than the pending one replaces it.
    private void Pend(KeyUsageRecord u)
    {
        if (!_pendingUses.TryGetValue(u.KeyArn, out var had) || u.Timestamp >= had.Timestamp) _pendingUses[u.KeyArn] = u;
    }

    private KeyUsageRecord? PendingUse(string keyArn)
    {
        lock (_usesGate) return _pendingUses.GetValueOrDefault(keyArn);
    }

    /// <summary>
    /// Rebuilds the uses of the events after <see cref="UsageThroughSetting"/> (those a crash kept from key_usage) as
    /// pending ones, once per process, under the write lock. A database without the setting had its uses written with
    /// every batch: it is set to the last event now, so a later crash cannot take it for such a database.
    /// </summary>
    private void RebuildUses(SqliteConnection c)
    {
        if (_usesRebuilt) return;
        var stored = ReadSetting(c, UsageThroughSetting);
        if (stored is not { Length: 8 })
        {
            var (head, _) = ReadAuditHead(c);
            using var tx = c.BeginTransaction();
            SetAuditSetting(tx, UsageThroughSetting, BitConverter.GetBytes(head));
            tx.Commit();
            _usesRebuilt = true;
            return;
        }
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT event_time, event_name, json FROM audit_events WHERE seq > $after AND key_arns IS NOT NULL ORDER BY seq";
        cmd.Parameters.AddWithValue("$after", BitConverter.ToInt64(stored));
        using var r = cmd.ExecuteReader();
        lock (_usesGate)
        {
            while (r.Read())
            {
                var name = r.GetString(1);
                if (KeyUses.FromRecord(name, (byte[])r.GetValue(2)) is not var (keys, eventId, requestId)) continue;
                var time = StorageRows.Time(r.GetInt64(0));
                foreach (var arn in keys) Pend(new KeyUsageRecord(arn, time, name, eventId, requestId));
            }
        }
        _usesRebuilt = true;
    }

    private async ValueTask RebuildUsesAsync(CancellationToken ct)
    {
        await _pool.WriteLock.WaitAsync(ct);
        try { RebuildUses(AuditConnection()); }
        finally { _pool.WriteLock.Release(); }
    }

    /// <summary>At Dispose: the pending uses go to key_usage if they can; if not, the next start rebuilds them.</summary>
    private void WritePendingUses()
    {
        if (_audit is null || PendingUses == 0) return;
        _pool.WriteLock.Wait();
        try
        {
            var (head, _) = _auditHead ?? ReadAuditHead(_audit);
            using var tx = _audit.BeginTransaction();
            WriteUses(_audit, tx, [], head);
            tx.Commit();
            UsesCommitted(written: true, []);
        }
        catch (SqliteException) { } // rebuilt at the next start from audit_events
        finally { _pool.WriteLock.Release(); }
    }
}
