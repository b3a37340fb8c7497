using Keyward.Core.Audit;

namespace Keyward.Storage.Sqlite;

internal sealed partial class SqliteKmsStorage
{
    public async ValueTask AppendAuditEventsAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0) return;
        // Audit appends commit without waiting for the disk flush (synchronous=NORMAL in WAL mode): the event is in the
        // WAL, safe from a process crash, and on disk with the next FULL commit or checkpoint. The chain stays consistent.
        await Write((c, tx) =>
        {
            long seq;
            byte[] previous;
            using (var head = Command(c, tx, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"))
            using (var r = head.ExecuteReader())
            {
                (seq, previous) = r.Read() ? (r.GetInt64(0), (byte[])r.GetValue(1)) : (0L, AuditChain.Genesis);
            }
            foreach (var e in events)
            {
                seq++;
                var hash = AuditChain.Hash(previous, seq, e.Json);
                using (var insert = Command(c, tx, $"INSERT INTO audit_events ({StorageRows.AuditColumns}) VALUES ($seq, $t, $name, $principal, $keys, $json, $prev, $hash)"))
                {
                    insert.Parameters.AddWithValue("$seq", seq);
                    insert.Parameters.AddWithValue("$t", Ms(e.EventTime));
                    insert.Parameters.AddWithValue("$name", e.EventName);
                    insert.Parameters.AddWithValue("$principal", e.PrincipalArn);
                    insert.Parameters.AddWithValue("$keys", (object?)StorageRows.KeyArns(e) ?? DBNull.Value);
                    insert.Parameters.AddWithValue("$json", e.Json);
                    insert.Parameters.AddWithValue("$prev", previous);
                    insert.Parameters.AddWithValue("$hash", hash);
                    insert.ExecuteNonQuery();
                }
                previous = hash;
                if (!e.UsedKey) continue;
                foreach (var arn in e.KeyArns.Distinct(StringComparer.Ordinal))
                {
                    using var usage = Command(c, tx,
                        "INSERT INTO key_usage (key_arn, event_time, operation, event_id, request_id) VALUES ($arn, $t, $op, $event, $request) " +
                        "ON CONFLICT (key_arn) DO UPDATE SET event_time = excluded.event_time, operation = excluded.operation, " +
                        "event_id = excluded.event_id, request_id = excluded.request_id WHERE excluded.event_time >= key_usage.event_time");
                    usage.Parameters.AddWithValue("$arn", arn);
                    usage.Parameters.AddWithValue("$t", Ms(e.EventTime));
                    usage.Parameters.AddWithValue("$op", e.EventName);
                    usage.Parameters.AddWithValue("$event", e.EventId);
                    usage.Parameters.AddWithValue("$request", e.RequestId);
                    usage.ExecuteNonQuery();
                }
            }
        }, synchronousFull: false);
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
