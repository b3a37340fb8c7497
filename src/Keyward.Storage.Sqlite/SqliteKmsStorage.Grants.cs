using Keyward.Core.Keys;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    public ValueTask CreateGrantAsync(GrantRecord grant, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx, $"INSERT INTO grants ({StorageRows.GrantColumns}) VALUES ($id, $key, $name, $grantee, $retiring, $issuer, $ops, $subset, $equals, $created)");
        cmd.Parameters.AddWithValue("$id", grant.GrantId);
        cmd.Parameters.AddWithValue("$key", grant.KeyId);
        cmd.Parameters.AddWithValue("$name", grant.Name);
        cmd.Parameters.AddWithValue("$grantee", grant.GranteePrincipal);
        cmd.Parameters.AddWithValue("$retiring", (object?)grant.RetiringPrincipal ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$issuer", grant.IssuingAccount);
        cmd.Parameters.AddWithValue("$ops", string.Join(',', grant.Operations));
        cmd.Parameters.AddWithValue("$subset", (object?)StorageRows.ContextJson(grant.EncryptionContextSubset) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$equals", (object?)StorageRows.ContextJson(grant.EncryptionContextEquals) ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$created", Ms(grant.CreationDate));
        cmd.ExecuteNonQuery();
    });

    public ValueTask<GrantRecord?> GetGrantAsync(string grantId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {StorageRows.GrantColumns} FROM grants WHERE grant_id = $id");
        cmd.Parameters.AddWithValue("$id", grantId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StorageRows.Grant(r) : null;
    });

    public ValueTask<IReadOnlyList<GrantRecord>> ListGrantsAsync(string keyId, string? afterGrantId, int limit, string? granteePrincipal = null,
        string? grantId = null, CancellationToken cancellationToken = default) =>
        Read(c => ListGrants(c, "key_id", keyId, afterGrantId, limit, granteePrincipal, grantId));

    public ValueTask<int> CountGrantsAsync(string keyId, string? granteePrincipal = null, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, "SELECT COUNT(*) FROM grants WHERE key_id = $key AND ($grantee IS NULL OR grantee_principal = $grantee)");
        cmd.Parameters.AddWithValue("$key", keyId);
        cmd.Parameters.AddWithValue("$grantee", (object?)granteePrincipal ?? DBNull.Value);
        return Convert.ToInt32(cmd.ExecuteScalar());
    });

    public ValueTask<IReadOnlyList<GrantRecord>> ListRetirableGrantsAsync(string retiringPrincipal, string? afterGrantId, int limit, CancellationToken cancellationToken = default) =>
        Read(c => ListGrants(c, "retiring_principal", retiringPrincipal, afterGrantId, limit, null, null));

    public ValueTask<bool> DeleteGrantAsync(string keyId, string grantId, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx, "DELETE FROM grants WHERE key_id = $key AND grant_id = $id");
        cmd.Parameters.AddWithValue("$key", keyId);
        cmd.Parameters.AddWithValue("$id", grantId);
        return cmd.ExecuteNonQuery() == 1;
    });

    private static IReadOnlyList<GrantRecord> ListGrants(SqliteConnection c, string column, string value, string? after, int limit, string? grantee,
        string? grantId)
    {
        using var cmd = Command(c, null, $"SELECT {StorageRows.GrantColumns} FROM grants WHERE {column} = $v AND grant_id > $after " +
            "AND ($grantee IS NULL OR grantee_principal = $grantee) AND ($id IS NULL OR grant_id = $id) ORDER BY grant_id LIMIT $limit");
        cmd.Parameters.AddWithValue("$v", value);
        cmd.Parameters.AddWithValue("$grantee", (object?)grantee ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$id", (object?)grantId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$after", after ?? string.Empty);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<GrantRecord>();
        while (r.Read()) list.Add(StorageRows.Grant(r));
        return list;
    }
}
