using Keyward.Core.Keys;
using Npgsql;

namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    private const string AliasColumns = "account_id, alias_name, target_key_id, creation_date, last_updated_date, region";

    public ValueTask<AliasRecord?> GetAliasAsync(string accountId, string region, string aliasName, CancellationToken cancellationToken = default) =>
        Read(async (c, ct) =>
        {
            await using var cmd = Command(c, null,
                $"SELECT {AliasColumns} FROM aliases WHERE account_id = @acct AND region = @region AND alias_name = @name");
            Text(cmd, "acct", accountId);
            Text(cmd, "region", region);
            Text(cmd, "name", aliasName);
            return await ReadOne(cmd, StorageRows.Alias, ct);
        }, cancellationToken);

    public ValueTask<bool> CreateAliasAsync(AliasRecord alias, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx,
            $"INSERT INTO aliases ({AliasColumns}) VALUES (@acct, @name, @target, @created, @updated, @region) " +
            "ON CONFLICT (account_id, region, alias_name) DO NOTHING");
        Text(cmd, "acct", alias.AccountId);
        Text(cmd, "name", alias.AliasName);
        Text(cmd, "target", alias.TargetKeyId);
        Time(cmd, "created", alias.CreationDate);
        Time(cmd, "updated", alias.LastUpdatedDate);
        Text(cmd, "region", alias.Region);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, cancellationToken);

    public ValueTask<bool> UpdateAliasAsync(string accountId, string region, string aliasName, string targetKeyId, DateTimeOffset now,
        CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx,
            "UPDATE aliases SET target_key_id = @target, last_updated_date = @updated WHERE account_id = @acct AND region = @region AND alias_name = @name");
        Text(cmd, "acct", accountId);
        Text(cmd, "region", region);
        Text(cmd, "name", aliasName);
        Text(cmd, "target", targetKeyId);
        Time(cmd, "updated", now);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, cancellationToken);

    public ValueTask<bool> DeleteAliasAsync(string accountId, string region, string aliasName, CancellationToken cancellationToken = default) =>
        Write(async (c, tx, ct) =>
        {
            await using var cmd = Command(c, tx, "DELETE FROM aliases WHERE account_id = @acct AND region = @region AND alias_name = @name");
            Text(cmd, "acct", accountId);
            Text(cmd, "region", region);
            Text(cmd, "name", aliasName);
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<AliasRecord>> ListAliasesAsync(string accountId, string region, string? targetKeyId, string? afterAliasName, int limit,
        CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null,
            $"SELECT {AliasColumns} FROM aliases WHERE account_id = @acct AND region = @region AND (@target::text IS NULL OR target_key_id = @target) " +
            "AND alias_name > @after ORDER BY alias_name LIMIT @limit");
        Text(cmd, "acct", accountId);
        Text(cmd, "region", region);
        Text(cmd, "target", targetKeyId);
        Text(cmd, "after", afterAliasName ?? string.Empty);
        Int(cmd, "limit", limit);
        return await ReadAll(cmd, StorageRows.Alias, ct);
    }, cancellationToken);
}
