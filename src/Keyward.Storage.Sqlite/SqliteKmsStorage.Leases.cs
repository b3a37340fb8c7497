namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    public ValueTask<bool> TryAcquireLeaseAsync(string name, string owner, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default) =>
        Write((c, tx) =>
        {
            // Taken when free, expired, or already ours (a renewal); otherwise the row is left as it is.
            using var cmd = Command(c, tx,
                "INSERT INTO job_leases (name, owner, expires_at) VALUES ($n, $o, $e) " +
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at " +
                "WHERE job_leases.owner = excluded.owner OR job_leases.expires_at <= $now");
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$o", owner);
            cmd.Parameters.AddWithValue("$e", Ms(now + duration));
            cmd.Parameters.AddWithValue("$now", Ms(now));
            return cmd.ExecuteNonQuery() == 1;
        });

    public ValueTask ReleaseLeaseAsync(string name, string owner, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx, "DELETE FROM job_leases WHERE name = $n AND owner = $o");
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$o", owner);
        cmd.ExecuteNonQuery();
    });
}
