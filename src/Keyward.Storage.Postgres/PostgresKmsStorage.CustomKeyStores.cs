using Keyward.Core.Keys;
using Npgsql;

namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    private const string StoreColumns =
        "custom_key_store_id, account_id, name, store_type, cloud_hsm_cluster_id, trust_anchor_certificate, key_store_password, " +
        "connection_state, connection_error_code, creation_date, version, xks_proxy_uri_endpoint, xks_proxy_uri_path, xks_proxy_connectivity, xks_access_key_id, xks_secret, region";

    private const string UniqueViolation = "23505";

    public ValueTask<bool> CreateCustomKeyStoreAsync(CustomKeyStoreRecord store, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx, $"INSERT INTO custom_key_stores ({StoreColumns}) VALUES (@id, @acct, @name, @type, @cluster, @anchor, @pw, @state, @err, @created, @ver, @xep, @xpath, @xconn, @xakid, @xsecret, @region) " +
            "ON CONFLICT (account_id, region, name) DO NOTHING");
        BindStore(cmd, store);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, cancellationToken);

    public ValueTask<CustomKeyStoreRecord?> GetCustomKeyStoreAsync(string customKeyStoreId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, $"SELECT {StoreColumns} FROM custom_key_stores WHERE custom_key_store_id = @id");
        Text(cmd, "id", customKeyStoreId);
        return await ReadOne(cmd, StorageRows.Store, ct);
    }, cancellationToken);

    public ValueTask<IReadOnlyList<CustomKeyStoreRecord>> ListCustomKeyStoresAsync(string? accountId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, $"SELECT {StoreColumns} FROM custom_key_stores WHERE @acct::text IS NULL OR account_id = @acct ORDER BY custom_key_store_id");
        Text(cmd, "acct", accountId);
        return await ReadAll(cmd, StorageRows.Store, ct);
    }, cancellationToken);

    public ValueTask<CustomKeyStoreRecord?> UpdateCustomKeyStoreAsync(CustomKeyStoreRecord store, CancellationToken cancellationToken = default) => Write<CustomKeyStoreRecord?>(async (c, tx, ct) =>
    {
        var next = store with { Version = store.Version + 1 };
        // ON CONFLICT cannot guard an UPDATE; a taken name is checked in the statement instead of failing the transaction.
        await using var cmd = Command(c, tx,
            "UPDATE custom_key_stores SET name = @name, cloud_hsm_cluster_id = @cluster, trust_anchor_certificate = @anchor, key_store_password = @pw, " +
            "connection_state = @state, connection_error_code = @err, version = @ver, xks_proxy_uri_endpoint = @xep, xks_proxy_uri_path = @xpath, " +
            "xks_proxy_connectivity = @xconn, xks_access_key_id = @xakid, xks_secret = @xsecret WHERE custom_key_store_id = @id AND version = @expected " +
            "AND NOT EXISTS (SELECT 1 FROM custom_key_stores o WHERE o.account_id = @acct AND o.region = @region AND o.name = @name AND o.custom_key_store_id <> @id)");
        BindStore(cmd, next);
        Long(cmd, "expected", store.Version);
        try { return await cmd.ExecuteNonQueryAsync(ct) == 1 ? next : null; }
        catch (PostgresException e) when (e.SqlState == UniqueViolation) { return null; }
    }, cancellationToken);

    public ValueTask<bool> DeleteCustomKeyStoreAsync(string customKeyStoreId, long expectedVersion, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx,
            "DELETE FROM custom_key_stores WHERE custom_key_store_id = @id AND version = @ver " +
            "AND NOT EXISTS (SELECT 1 FROM keys WHERE custom_key_store_id = @id)");
        Text(cmd, "id", customKeyStoreId);
        Long(cmd, "ver", expectedVersion);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, cancellationToken);

    public ValueTask<int> CountKeysInCustomKeyStoreAsync(string customKeyStoreId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, "SELECT count(*) FROM keys WHERE custom_key_store_id = @id");
        Text(cmd, "id", customKeyStoreId);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }, cancellationToken);

    private static void BindStore(NpgsqlCommand cmd, CustomKeyStoreRecord s)
    {
        Text(cmd, "id", s.CustomKeyStoreId);
        Text(cmd, "acct", s.AccountId);
        Text(cmd, "name", s.Name);
        Text(cmd, "type", s.StoreType);
        Text(cmd, "cluster", s.CloudHsmClusterId);
        Text(cmd, "anchor", s.TrustAnchorCertificate);
        Bytes(cmd, "pw", s.Password);
        Text(cmd, "state", s.ConnectionState);
        Text(cmd, "err", s.ConnectionErrorCode);
        Time(cmd, "created", s.CreationDate);
        Long(cmd, "ver", s.Version);
        Text(cmd, "xep", s.XksProxyUriEndpoint);
        Text(cmd, "xpath", s.XksProxyUriPath);
        Text(cmd, "xconn", s.XksProxyConnectivity);
        Text(cmd, "xakid", s.XksAccessKeyId);
        Bytes(cmd, "xsecret", s.XksSecret);
        Text(cmd, "region", s.Region);
    }

}
