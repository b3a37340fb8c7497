namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    public ValueTask<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default) =>
        Write(async (c, tx, ct) =>
        {
            // Taken when free, expired, or already ours (a renewal). Two nodes racing for a free lease
            // both reach ON CONFLICT; the second re-checks the WHERE against the first's committed row.
            await using var cmd = Command(c, tx,
                "INSERT INTO job_leases (name, owner, expires_at) VALUES (@n, @o, @e) " +
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at " +
                "WHERE job_leases.owner = excluded.owner OR job_leases.expires_at <= @now");
            Text(cmd, "n", name);
            Text(cmd, "o", owner);
            Time(cmd, "e", now + duration);
            Time(cmd, "now", now);
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public ValueTask ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx, "DELETE FROM job_leases WHERE name = @n AND owner = @o");
        Text(cmd, "n", name);
        Text(cmd, "o", owner);
        return await cmd.ExecuteNonQueryAsync(ct);
    }, cancellationToken).AsUnit();
}
