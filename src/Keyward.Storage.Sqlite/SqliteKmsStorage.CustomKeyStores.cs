using Keyward.Core.Keys;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    private const string StoreColumns =
        "custom_key_store_id, account_id, name, store_type, cloud_hsm_cluster_id, trust_anchor_certificate, key_store_password, " +
        "connection_state, connection_error_code, creation_date, version, xks_proxy_uri_endpoint, xks_proxy_uri_path, xks_proxy_connectivity, xks_access_key_id, xks_secret, region";

    private const int SqliteConstraintUnique = 2067;

    public ValueTask<bool> CreateCustomKeyStoreAsync(CustomKeyStoreRecord store, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx, $"INSERT INTO custom_key_stores ({StoreColumns}) VALUES ($id, $acct, $name, $type, $cluster, $anchor, $pw, $state, $err, $created, $ver, $xep, $xpath, $xconn, $xakid, $xsecret, $region) " +
            "ON CONFLICT (account_id, region, name) DO NOTHING");
        BindStore(cmd, store);
        return cmd.ExecuteNonQuery() == 1;
    });

    public ValueTask<CustomKeyStoreRecord?> GetCustomKeyStoreAsync(string customKeyStoreId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {StoreColumns} FROM custom_key_stores WHERE custom_key_store_id = $id");
        cmd.Parameters.AddWithValue("$id", customKeyStoreId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StorageRows.Store(r) : null;
    });

    public ValueTask<IReadOnlyList<CustomKeyStoreRecord>> ListCustomKeyStoresAsync(string? accountId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {StoreColumns} FROM custom_key_stores WHERE $acct IS NULL OR account_id = $acct ORDER BY custom_key_store_id");
        cmd.Parameters.AddWithValue("$acct", (object?)accountId ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var list = new List<CustomKeyStoreRecord>();
        while (r.Read()) list.Add(StorageRows.Store(r));
        return (IReadOnlyList<CustomKeyStoreRecord>)list;
    });

    public ValueTask<CustomKeyStoreRecord?> UpdateCustomKeyStoreAsync(CustomKeyStoreRecord store, CancellationToken cancellationToken = default) => Write<CustomKeyStoreRecord?>((c, tx) =>
    {
        var next = store with { Version = store.Version + 1 };
        using var cmd = Command(c, tx,
            "UPDATE custom_key_stores SET name = $name, cloud_hsm_cluster_id = $cluster, trust_anchor_certificate = $anchor, key_store_password = $pw, " +
            "connection_state = $state, connection_error_code = $err, version = $ver, xks_proxy_uri_endpoint = $xep, xks_proxy_uri_path = $xpath, " +
            "xks_proxy_connectivity = $xconn, xks_access_key_id = $xakid, xks_secret = $xsecret WHERE custom_key_store_id = $id AND version = $expected");
        BindStore(cmd, next);
        cmd.Parameters.AddWithValue("$expected", store.Version);
        try { return cmd.ExecuteNonQuery() == 1 ? next : null; }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteConstraintUnique) { return null; }
    });

    public ValueTask<bool> DeleteCustomKeyStoreAsync(string customKeyStoreId, long expectedVersion, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx,
            "DELETE FROM custom_key_stores WHERE custom_key_store_id = $id AND version = $ver " +
            "AND NOT EXISTS (SELECT 1 FROM keys WHERE custom_key_store_id = $id)");
        cmd.Parameters.AddWithValue("$id", customKeyStoreId);
        cmd.Parameters.AddWithValue("$ver", expectedVersion);
        return cmd.ExecuteNonQuery() == 1;
    });

    public ValueTask<int> CountKeysInCustomKeyStoreAsync(string customKeyStoreId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, "SELECT count(*) FROM keys WHERE custom_key_store_id = $id");
        cmd.Parameters.AddWithValue("$id", customKeyStoreId);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    });

    private static void BindStore(SqliteCommand cmd, CustomKeyStoreRecord s)
    {
        cmd.Parameters.AddWithValue("$id", s.CustomKeyStoreId);
        cmd.Parameters.AddWithValue("$acct", s.AccountId);
        cmd.Parameters.AddWithValue("$name", s.Name);
        cmd.Parameters.AddWithValue("$type", s.StoreType);
        cmd.Parameters.AddWithValue("$cluster", (object?)s.CloudHsmClusterId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$anchor", (object?)s.TrustAnchorCertificate ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$pw", (object?)s.Password ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$state", s.ConnectionState);
        cmd.Parameters.AddWithValue("$err", (object?)s.ConnectionErrorCode ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$created", Ms(s.CreationDate));
        cmd.Parameters.AddWithValue("$ver", s.Version);
        cmd.Parameters.AddWithValue("$xep", (object?)s.XksProxyUriEndpoint ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$xpath", (object?)s.XksProxyUriPath ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$xconn", (object?)s.XksProxyConnectivity ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$xakid", (object?)s.XksAccessKeyId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$xsecret", (object?)s.XksSecret ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$region", s.Region);
    }

}
