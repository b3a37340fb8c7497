using Keyward.Core.Audit;

namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    // Serializes appends to the one chain across nodes (pg_advisory_xact_lock key).
    private const long AuditLock = 0x4b_77_41_75_64_69_74; // "KwAudit"

    public ValueTask AppendAuditEventsAsync(IReadOnlyList<AuditEvent> events, string journalId, long journalOffset, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        long seq = 0;
        byte[] previous = AuditChain.Genesis;
        // Without events (a batch of lines kept aside) only the journal offset moves: no chain lock is needed.
        if (events.Count > 0)
        {
            await Execute(c, tx, "SELECT pg_advisory_xact_lock(" + AuditLock + ")", ct);
            await using var head = Command(c, tx, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
            await using var r = await head.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct)) (seq, previous) = (r.GetInt64(0), (byte[])r.GetValue(1));
        }
        foreach (var e in events)
        {
            seq++;
            var hash = AuditChain.Hash(previous, seq, e.Json.Span);
            await using (var insert = Command(c, tx, $"INSERT INTO audit_events ({StorageRows.AuditColumns}) VALUES (@seq, @t, @name, @principal, @keys, @json, @prev, @hash)"))
            {
                Long(insert, "seq", seq);
                Time(insert, "t", e.EventTime);
                Text(insert, "name", e.EventName);
                Text(insert, "principal", e.PrincipalArn);
                Text(insert, "keys", StorageRows.KeyArns(e));
                Bytes(insert, "json", e.Json.ToArray());
                Bytes(insert, "prev", previous);
                Bytes(insert, "hash", hash);
                await insert.ExecuteNonQueryAsync(ct);
            }
            previous = hash;
        }
        foreach (var (arn, e) in StorageRows.LastKeyUses(events))
        {
            await using var usage = Command(c, tx, StorageRows.KeyUsageUpsert);
            Text(usage, "arn", arn);
            Time(usage, "t", e.EventTime);
            Text(usage, "op", e.EventName);
            Text(usage, "event", e.EventId);
            Text(usage, "request", e.RequestId);
            await usage.ExecuteNonQueryAsync(ct);
        }
        await using (var offset = Command(c, tx, StorageRows.SettingUpsert))
        {
            Text(offset, "n", AuditLog.OffsetSettingPrefix + journalId);
            Bytes(offset, "v", BitConverter.GetBytes(journalOffset));
            await offset.ExecuteNonQueryAsync(ct);
        }
        return events.Count;
    }, cancellationToken).AsUnit();

    public ValueTask<IReadOnlyList<AuditRecord>> ReadAuditEventsAsync(long afterSequence, int limit, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, $"SELECT {StorageRows.AuditColumns} FROM audit_events WHERE seq > @after ORDER BY seq LIMIT @limit");
        Long(cmd, "after", afterSequence);
        Int(cmd, "limit", limit);
        return await ReadAll(cmd, StorageRows.Audit, ct);
    }, cancellationToken);

    public ValueTask<IReadOnlyList<AuditRecord>> LookupAuditEventsAsync(AuditLookup lookup, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        var (sql, parameters) = AuditLookupSql.Build(lookup, postgres: true);
        await using var cmd = Command(c, null, sql);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return await ReadAll(cmd, StorageRows.Audit, ct);
    }, cancellationToken);

    public ValueTask<KeyUsageRecord?> GetKeyLastUsageAsync(string keyArn, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, "SELECT key_arn, event_time, operation, event_id, request_id FROM key_usage WHERE key_arn = @arn");
        Text(cmd, "arn", keyArn);
        return await ReadOne(cmd, StorageRows.KeyUsage, ct);
    }, cancellationToken);
}
