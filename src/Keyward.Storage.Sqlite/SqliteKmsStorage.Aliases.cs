using Keyward.Core.Keys;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    private const string AliasColumns = "account_id, alias_name, target_key_id, creation_date, last_updated_date, region";

    private const string GetAliasSql = $"SELECT {AliasColumns} FROM aliases WHERE account_id = $acct AND region = $region AND alias_name = $name";

    public ValueTask<AliasRecord?> GetAliasAsync(string accountId, string region, string aliasName, CancellationToken cancellationToken = default) =>
        Read(c =>
        {
            var cmd = Prepared(c, GetAliasSql, "$acct", "$region", "$name");
            cmd.Parameters[0].Value = accountId;
            cmd.Parameters[1].Value = region;
            cmd.Parameters[2].Value = aliasName;
            using var r = cmd.ExecuteReader();
            return r.Read() ? StorageRows.Alias(r) : null;
        });

    public ValueTask<bool> CreateAliasAsync(AliasRecord alias, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx,
            $"INSERT INTO aliases ({AliasColumns}) VALUES ($acct, $name, $target, $created, $updated, $region) " +
            "ON CONFLICT (account_id, region, alias_name) DO NOTHING");
        cmd.Parameters.AddWithValue("$acct", alias.AccountId);
        cmd.Parameters.AddWithValue("$name", alias.AliasName);
        cmd.Parameters.AddWithValue("$target", alias.TargetKeyId);
        cmd.Parameters.AddWithValue("$created", Ms(alias.CreationDate));
        cmd.Parameters.AddWithValue("$updated", Ms(alias.LastUpdatedDate));
        cmd.Parameters.AddWithValue("$region", alias.Region);
        return cmd.ExecuteNonQuery() == 1;
    });

    public ValueTask<bool> UpdateAliasAsync(string accountId, string region, string aliasName, string targetKeyId, DateTimeOffset now,
        CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx,
            "UPDATE aliases SET target_key_id = $target, last_updated_date = $updated WHERE account_id = $acct AND region = $region AND alias_name = $name");
        cmd.Parameters.AddWithValue("$acct", accountId);
        cmd.Parameters.AddWithValue("$region", region);
        cmd.Parameters.AddWithValue("$name", aliasName);
        cmd.Parameters.AddWithValue("$target", targetKeyId);
        cmd.Parameters.AddWithValue("$updated", Ms(now));
        return cmd.ExecuteNonQuery() == 1;
    });

    public ValueTask<bool> DeleteAliasAsync(string accountId, string region, string aliasName, CancellationToken cancellationToken = default) =>
        Write((c, tx) =>
        {
            using var cmd = Command(c, tx, "DELETE FROM aliases WHERE account_id = $acct AND region = $region AND alias_name = $name");
            cmd.Parameters.AddWithValue("$acct", accountId);
            cmd.Parameters.AddWithValue("$region", region);
            cmd.Parameters.AddWithValue("$name", aliasName);
            return cmd.ExecuteNonQuery() == 1;
        });

    public ValueTask<IReadOnlyList<AliasRecord>> ListAliasesAsync(string accountId, string region, string? targetKeyId, string? afterAliasName, int limit,
        CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null,
            $"SELECT {AliasColumns} FROM aliases WHERE account_id = $acct AND region = $region AND ($target IS NULL OR target_key_id = $target) " +
            "AND alias_name > $after ORDER BY alias_name LIMIT $limit");
        cmd.Parameters.AddWithValue("$acct", accountId);
        cmd.Parameters.AddWithValue("$region", region);
        cmd.Parameters.AddWithValue("$target", (object?)targetKeyId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$after", afterAliasName ?? string.Empty);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<AliasRecord>();
        while (r.Read()) list.Add(StorageRows.Alias(r));
        return (IReadOnlyList<AliasRecord>)list;
    });
}
