using Keyward.Core.Keys;
using Keyward.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    public ValueTask<IReadOnlyDictionary<string, int>> CountKeysByStateAsync(CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, "SELECT key_state, COUNT(*) FROM keys GROUP BY key_state");
        using var r = cmd.ExecuteReader();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (r.Read()) counts[r.GetString(0)] = r.GetInt32(1);
        return (IReadOnlyDictionary<string, int>)counts;
    });

    private const string KeyColumns =
        "key_id, account_id, creation_date, description, key_spec, key_usage, origin, key_state, deletion_date, pending_window_days, current_material_id, policy, version, " +
        "rotation_period_days, next_rotation_date, on_demand_rotation_start, on_demand_rotations, expiration_model, valid_to, custom_key_store_id, xks_key_id, " +
        "region, primary_region, multi_region_key_id";

    public ValueTask CreateKeyAsync(KeyRecord key, MaterialRecord? material, IReadOnlyList<TagRecord> tags, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using (var cmd = Command(c, tx, $"INSERT INTO keys ({KeyColumns}) VALUES ($id, $acct, $created, $desc, $spec, $usage, $origin, $state, $del, $win, $mat, $policy, $ver, $rot, $next, $od, $ods, $exp, $vt, $cks, $xks, $region, $primary, $mrk)"))
        {
            BindKey(cmd, key);
            try { cmd.ExecuteNonQuery(); }
            catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteConstraintUnique)
            {
                throw new Keyward.Core.Storage.StorageConflictException("The external key is already used by a KMS key of its custom key store.", e);
            }
        }
        if (material is not null) UpsertMaterial(c, tx, material);
        foreach (var t in tags) UpsertTag(c, tx, key.StorageId, t);
    });

    private const string GetKeySql = $"SELECT {KeyColumns} FROM keys WHERE key_id = $id";

    public ValueTask<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default) => Read(c =>
    {
        var cmd = Prepared(c, GetKeySql, "$id");
        cmd.Parameters[0].Value = keyId;
        using var r = cmd.ExecuteReader();
        return r.Read() ? StorageRows.Key(r) : null;
    });

    public ValueTask<KeyRecord?> UpdateKeyAsync(KeyRecord key, IReadOnlyList<MaterialRecord> materials, IReadOnlyList<string> removeMaterialIds,
        CancellationToken cancellationToken = default) => Write<KeyRecord?>((c, tx) => UpdateKeyRow(c, tx, key, materials, removeMaterialIds));

    public async ValueTask<IReadOnlyList<KeyRecord>?> UpdateKeysAsync(IReadOnlyList<KeyUpdate> updates, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Write<IReadOnlyList<KeyRecord>?>((c, tx) =>
                [.. updates.Select(u => UpdateKeyRow(c, tx, u.Key, u.Materials, u.RemoveMaterialIds) ?? throw new KeyConflict())]);
        }
        catch (KeyConflict) { return null; } // thrown inside the transaction, so none of it was committed
    }

    private sealed class KeyConflict : Exception;

    public ValueTask<bool> CreateReplicaKeyAsync(KeyRecord key, IReadOnlyList<MaterialRecord> materials, IReadOnlyList<TagRecord> tags,
        CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using (var cmd = Command(c, tx, $"INSERT INTO keys ({KeyColumns}) VALUES ($id, $acct, $created, $desc, $spec, $usage, $origin, $state, $del, " +
                   "$win, $mat, $policy, $ver, $rot, $next, $od, $ods, $exp, $vt, $cks, $xks, $region, $primary, $mrk) ON CONFLICT (key_id) DO NOTHING"))
        {
            BindKey(cmd, key);
            if (cmd.ExecuteNonQuery() != 1) return false;
        }
        foreach (var m in materials) UpsertMaterial(c, tx, m);
        foreach (var t in tags) UpsertTag(c, tx, key.StorageId, t);
        return true;
    });

    public ValueTask<IReadOnlyList<KeyRecord>> ListMultiRegionKeysAsync(string keyId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {KeyColumns} FROM keys WHERE multi_region_key_id = $mrk ORDER BY key_id");
        cmd.Parameters.AddWithValue("$mrk", keyId);
        return ReadKeys(cmd);
    });

    public ValueTask AdoptRegionlessRowsAsync(string region, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        foreach (var table in (string[])["keys", "aliases", "custom_key_stores"])
        {
            using var cmd = Command(c, tx, $"UPDATE {table} SET region = $region WHERE region = ''");
            cmd.Parameters.AddWithValue("$region", region);
            cmd.ExecuteNonQuery();
        }
    });

    private static KeyRecord? UpdateKeyRow(SqliteConnection c, SqliteTransaction tx, KeyRecord key, IReadOnlyList<MaterialRecord> materials,
        IReadOnlyList<string> removeMaterialIds)
    {
        var next = key with { Version = key.Version + 1 };
        using (var cmd = Command(c, tx,
            "UPDATE keys SET description = $desc, key_spec = $spec, key_usage = $usage, origin = $origin, key_state = $state, " +
            "deletion_date = $del, pending_window_days = $win, current_material_id = $mat, policy = $policy, version = $ver, " +
            "rotation_period_days = $rot, next_rotation_date = $next, on_demand_rotation_start = $od, on_demand_rotations = $ods, " +
            "expiration_model = $exp, valid_to = $vt, primary_region = $primary WHERE key_id = $id AND version = $expected"))
        {
            BindKey(cmd, next);
            cmd.Parameters.AddWithValue("$expected", key.Version);
            // A conflict writes nothing: the transaction commits empty.
            if (cmd.ExecuteNonQuery() != 1) return null;
        }
        foreach (var m in materials) UpsertMaterial(c, tx, m);
        foreach (var id in removeMaterialIds) DeleteMaterial(c, tx, key.StorageId, id);
        return next;
    }

    public ValueTask<IReadOnlyList<KeyRecord>> ListKeysAsync(string accountId, string region, string? afterKeyId, int limit,
        CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null,
            $"SELECT {KeyColumns} FROM keys WHERE account_id = $acct AND region = $region AND key_id > $after ORDER BY key_id LIMIT $limit");
        cmd.Parameters.AddWithValue("$acct", accountId);
        cmd.Parameters.AddWithValue("$region", region);
        cmd.Parameters.AddWithValue("$after", afterKeyId ?? string.Empty);
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadKeys(cmd);
    });

    public ValueTask<IReadOnlyList<KeyRecord>> ListKeysDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null,
            $"SELECT {KeyColumns} FROM keys WHERE key_state = 'PendingDeletion' AND deletion_date <= $now ORDER BY deletion_date LIMIT $limit");
        cmd.Parameters.AddWithValue("$now", Ms(now));
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadKeys(cmd);
    });

    public ValueTask<IReadOnlyList<KeyRecord>> ListKeysDueForRotationAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null,
            $"SELECT {KeyColumns} FROM keys WHERE key_state = 'Enabled' AND (on_demand_rotation_start IS NOT NULL OR next_rotation_date <= $now) " +
            "AND (primary_region IS NULL OR primary_region = region) " + // a replica rotates with its primary
            "ORDER BY key_id LIMIT $limit");
        cmd.Parameters.AddWithValue("$now", Ms(now));
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadKeys(cmd);
    });

    public ValueTask<bool> DeleteKeyAsync(string keyId, long expectedVersion, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        // Material, aliases and tags go with the key (ON DELETE CASCADE), in the same transaction.
        using var cmd = Command(c, tx, "DELETE FROM keys WHERE key_id = $id AND version = $ver");
        cmd.Parameters.AddWithValue("$id", keyId);
        cmd.Parameters.AddWithValue("$ver", expectedVersion);
        return cmd.ExecuteNonQuery() == 1;
    });

    private static void BindKey(SqliteCommand cmd, KeyRecord k)
    {
        cmd.Parameters.AddWithValue("$id", k.StorageId);
        cmd.Parameters.AddWithValue("$acct", k.AccountId);
        cmd.Parameters.AddWithValue("$created", Ms(k.CreationDate));
        cmd.Parameters.AddWithValue("$desc", k.Description);
        cmd.Parameters.AddWithValue("$spec", k.KeySpec);
        cmd.Parameters.AddWithValue("$usage", k.KeyUsage);
        cmd.Parameters.AddWithValue("$origin", k.Origin);
        cmd.Parameters.AddWithValue("$state", k.State.ToString());
        cmd.Parameters.AddWithValue("$del", k.DeletionDate is { } d ? Ms(d) : DBNull.Value);
        cmd.Parameters.AddWithValue("$win", k.PendingWindowInDays is { } w ? w : DBNull.Value);
        cmd.Parameters.AddWithValue("$mat", (object?)k.CurrentMaterialId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$policy", k.Policy);
        cmd.Parameters.AddWithValue("$ver", k.Version);
        cmd.Parameters.AddWithValue("$rot", k.RotationPeriodInDays is { } p ? p : DBNull.Value);
        cmd.Parameters.AddWithValue("$next", Nullable(k.NextRotationDate));
        cmd.Parameters.AddWithValue("$od", Nullable(k.OnDemandRotationStartDate));
        cmd.Parameters.AddWithValue("$ods", k.OnDemandRotations);
        cmd.Parameters.AddWithValue("$exp", (object?)k.ExpirationModel ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$vt", Nullable(k.ValidTo));
        cmd.Parameters.AddWithValue("$cks", (object?)k.CustomKeyStoreId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$xks", (object?)k.XksKeyId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$region", k.Region);
        cmd.Parameters.AddWithValue("$primary", (object?)k.PrimaryRegion ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$mrk", k.MultiRegion ? k.KeyId : DBNull.Value);
    }

    private static IReadOnlyList<KeyRecord> ReadKeys(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<KeyRecord>();
        while (r.Read()) list.Add(StorageRows.Key(r));
        return list;
    }

}
