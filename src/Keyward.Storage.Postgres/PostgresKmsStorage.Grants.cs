using Keyward.Core.Keys;
using Npgsql;

namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    public ValueTask CreateGrantAsync(GrantRecord grant, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx, $"INSERT INTO grants ({StorageRows.GrantColumns}) VALUES (@id, @key, @name, @grantee, @retiring, @issuer, @ops, @subset, @equals, @created)");
        Text(cmd, "id", grant.GrantId);
        Text(cmd, "key", grant.KeyId);
        Text(cmd, "name", grant.Name);
        Text(cmd, "grantee", grant.GranteePrincipal);
        Text(cmd, "retiring", grant.RetiringPrincipal);
        Text(cmd, "issuer", grant.IssuingAccount);
        Text(cmd, "ops", string.Join(',', grant.Operations));
        Text(cmd, "subset", StorageRows.ContextJson(grant.EncryptionContextSubset));
        Text(cmd, "equals", StorageRows.ContextJson(grant.EncryptionContextEquals));
        Time(cmd, "created", grant.CreationDate);
        return await cmd.ExecuteNonQueryAsync(ct);
    }, cancellationToken).AsUnit();

    public ValueTask<GrantRecord?> GetGrantAsync(string grantId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, $"SELECT {StorageRows.GrantColumns} FROM grants WHERE grant_id = @id");
        Text(cmd, "id", grantId);
        return await ReadOne(cmd, StorageRows.Grant, ct);
    }, cancellationToken);

    public ValueTask<IReadOnlyList<GrantRecord>> ListGrantsAsync(string keyId, string? afterGrantId, int limit, string? granteePrincipal = null,
        string? grantId = null, CancellationToken cancellationToken = default) =>
        Read((c, ct) => ListGrants(c, "key_id", keyId, afterGrantId, limit, granteePrincipal, grantId, ct), cancellationToken);

    public ValueTask<int> CountGrantsAsync(string keyId, string? granteePrincipal = null, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, "SELECT COUNT(*) FROM grants WHERE key_id = @key AND (@grantee::text IS NULL OR grantee_principal = @grantee)");
        Text(cmd, "key", keyId);
        Text(cmd, "grantee", granteePrincipal);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }, cancellationToken);

    public ValueTask<IReadOnlyList<GrantRecord>> ListRetirableGrantsAsync(string retiringPrincipal, string? afterGrantId, int limit, CancellationToken cancellationToken = default) =>
        Read((c, ct) => ListGrants(c, "retiring_principal", retiringPrincipal, afterGrantId, limit, null, null, ct), cancellationToken);

    public ValueTask<bool> DeleteGrantAsync(string keyId, string grantId, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx, "DELETE FROM grants WHERE key_id = @key AND grant_id = @id");
        Text(cmd, "key", keyId);
        Text(cmd, "id", grantId);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, cancellationToken);

    private static async Task<IReadOnlyList<GrantRecord>> ListGrants(NpgsqlConnection c, string column, string value, string? after, int limit, string? grantee,
        string? grantId, CancellationToken ct)
    {
        await using var cmd = Command(c, null, $"SELECT {StorageRows.GrantColumns} FROM grants WHERE {column} = @v AND grant_id > @after " +
            "AND (@grantee::text IS NULL OR grantee_principal = @grantee) AND (@id::text IS NULL OR grant_id = @id) ORDER BY grant_id LIMIT @limit");
        Text(cmd, "v", value);
        Text(cmd, "grantee", grantee);
        Text(cmd, "id", grantId);
        Text(cmd, "after", after ?? string.Empty);
        Int(cmd, "limit", limit);
        return await ReadAll(cmd, StorageRows.Grant, ct);
    }
}
