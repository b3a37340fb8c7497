using Keyward.Core.Keys;
using Keyward.Core.Storage;
using Npgsql;

namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    public ValueTask<IReadOnlyDictionary<string, int>> CountKeysByStateAsync(CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, "SELECT key_state, COUNT(*)::int FROM keys GROUP BY key_state");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await r.ReadAsync(ct)) counts[r.GetString(0)] = r.GetInt32(1);
        return (IReadOnlyDictionary<string, int>)counts;
    }, cancellationToken);

    private const string KeyColumns =
        "key_id, account_id, creation_date, description, key_spec, key_usage, origin, key_state, deletion_date, pending_window_days, current_material_id, policy, version, " +
        "rotation_period_days, next_rotation_date, on_demand_rotation_start, on_demand_rotations, expiration_model, valid_to, custom_key_store_id, xks_key_id, " +
        "region, primary_region, multi_region_key_id";

    public ValueTask CreateKeyAsync(KeyRecord key, MaterialRecord? material, IReadOnlyList<TagRecord> tags, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using (var cmd = Command(c, tx, $"INSERT INTO keys ({KeyColumns}) VALUES (@id, @acct, @created, @desc, @spec, @usage, @origin, @state, @del, @win, @mat, @policy, @ver, @rot, @next, @od, @ods, @exp, @vt, @cks, @xks, @region, @primary, @mrk)"))
        {
            BindKey(cmd, key);
            try { await cmd.ExecuteNonQueryAsync(ct); }
            catch (PostgresException e) when (e.SqlState == UniqueViolation)
            {
                throw new Keyward.Core.Storage.StorageConflictException("The external key is already used by a KMS key of its custom key store.", e);
            }
        }
        if (material is not null) await UpsertMaterial(c, tx, material, ct);
        foreach (var t in tags) await UpsertTag(c, tx, key.StorageId, t, ct);
        return true;
    }, cancellationToken).AsUnit();

    public ValueTask<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, $"SELECT {KeyColumns} FROM keys WHERE key_id = @id");
        Text(cmd, "id", keyId);
        return await ReadOne(cmd, StorageRows.Key, ct);
    }, cancellationToken);

    public ValueTask<KeyRecord?> UpdateKeyAsync(KeyRecord key, IReadOnlyList<MaterialRecord> materials, IReadOnlyList<string> removeMaterialIds,
        CancellationToken cancellationToken = default) =>
        Write<KeyRecord?>((c, tx, ct) => UpdateKeyRow(c, tx, key, materials, removeMaterialIds, ct), cancellationToken);

    public async ValueTask<IReadOnlyList<KeyRecord>?> UpdateKeysAsync(IReadOnlyList<KeyUpdate> updates, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Write<IReadOnlyList<KeyRecord>?>(async (c, tx, ct) =>
            {
                var stored = new List<KeyRecord>(updates.Count);
                foreach (var u in updates)
                    stored.Add(await UpdateKeyRow(c, tx, u.Key, u.Materials, u.RemoveMaterialIds, ct) ?? throw new KeyConflict());
                return stored;
            }, cancellationToken);
        }
        catch (KeyConflict) { return null; } // thrown inside the transaction, so none of it was committed
    }

    private sealed class KeyConflict : Exception;

    public ValueTask<bool> CreateReplicaKeyAsync(KeyRecord key, IReadOnlyList<MaterialRecord> materials, IReadOnlyList<TagRecord> tags,
        CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using (var cmd = Command(c, tx, $"INSERT INTO keys ({KeyColumns}) VALUES (@id, @acct, @created, @desc, @spec, @usage, @origin, @state, " +
                         "@del, @win, @mat, @policy, @ver, @rot, @next, @od, @ods, @exp, @vt, @cks, @xks, @region, @primary, @mrk) ON CONFLICT (key_id) DO NOTHING"))
        {
            BindKey(cmd, key);
            if (await cmd.ExecuteNonQueryAsync(ct) != 1) return false;
        }
        foreach (var m in materials) await UpsertMaterial(c, tx, m, ct);
        foreach (var t in tags) await UpsertTag(c, tx, key.StorageId, t, ct);
        return true;
    }, cancellationToken);

    public ValueTask<IReadOnlyList<KeyRecord>> ListMultiRegionKeysAsync(string keyId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, $"SELECT {KeyColumns} FROM keys WHERE multi_region_key_id = @mrk ORDER BY key_id");
        Text(cmd, "mrk", keyId);
        return await ReadAll(cmd, StorageRows.Key, ct);
    }, cancellationToken);

    public ValueTask AdoptRegionlessRowsAsync(string region, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        foreach (var table in (string[])["keys", "aliases", "custom_key_stores"])
        {
            await using var cmd = Command(c, tx, $"UPDATE {table} SET region = @region WHERE region = ''");
            Text(cmd, "region", region);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return true;
    }, cancellationToken).AsUnit();

    private static async Task<KeyRecord?> UpdateKeyRow(NpgsqlConnection c, NpgsqlTransaction tx, KeyRecord key, IReadOnlyList<MaterialRecord> materials,
        IReadOnlyList<string> removeMaterialIds, CancellationToken ct)
    {
        var next = key with { Version = key.Version + 1 };
        await using (var cmd = Command(c, tx,
            "UPDATE keys SET description = @desc, key_spec = @spec, key_usage = @usage, origin = @origin, key_state = @state, " +
            "deletion_date = @del, pending_window_days = @win, current_material_id = @mat, policy = @policy, version = @ver, " +
            "rotation_period_days = @rot, next_rotation_date = @next, on_demand_rotation_start = @od, on_demand_rotations = @ods, " +
            "expiration_model = @exp, valid_to = @vt, primary_region = @primary WHERE key_id = @id AND version = @expected"))
        {
            BindKey(cmd, next);
            Long(cmd, "expected", key.Version);
            // The row lock taken here also serializes material sequence numbers of this key.
            if (await cmd.ExecuteNonQueryAsync(ct) != 1) return null;
        }
        foreach (var m in materials) await UpsertMaterial(c, tx, m, ct);
        foreach (var id in removeMaterialIds) await DeleteMaterial(c, tx, key.StorageId, id, ct);
        return next;
    }

    public ValueTask<IReadOnlyList<KeyRecord>> ListKeysAsync(string accountId, string region, string? afterKeyId, int limit,
        CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null,
            $"SELECT {KeyColumns} FROM keys WHERE account_id = @acct AND region = @region AND key_id > @after ORDER BY key_id LIMIT @limit");
        Text(cmd, "acct", accountId);
        Text(cmd, "region", region);
        Text(cmd, "after", afterKeyId ?? string.Empty);
        Int(cmd, "limit", limit);
        return await ReadAll(cmd, StorageRows.Key, ct);
    }, cancellationToken);

    public ValueTask<IReadOnlyList<KeyRecord>> ListKeysDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null,
            $"SELECT {KeyColumns} FROM keys WHERE key_state = 'PendingDeletion' AND deletion_date <= @now ORDER BY deletion_date LIMIT @limit");
        Time(cmd, "now", now);
        Int(cmd, "limit", limit);
        return await ReadAll(cmd, StorageRows.Key, ct);
    }, cancellationToken);

    public ValueTask<IReadOnlyList<KeyRecord>> ListKeysDueForRotationAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null,
            $"SELECT {KeyColumns} FROM keys WHERE key_state = 'Enabled' AND (on_demand_rotation_start IS NOT NULL OR next_rotation_date <= @now) " +
            "AND (primary_region IS NULL OR primary_region = region) " + // a replica rotates with its primary
            "ORDER BY key_id LIMIT @limit");
        Time(cmd, "now", now);
        Int(cmd, "limit", limit);
        return await ReadAll(cmd, StorageRows.Key, ct);
    }, cancellationToken);

    public ValueTask<bool> DeleteKeyAsync(string keyId, long expectedVersion, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        // Material, aliases, tags and import parameters go with the key (ON DELETE CASCADE), in the same transaction.
        await using var cmd = Command(c, tx, "DELETE FROM keys WHERE key_id = @id AND version = @ver");
        Text(cmd, "id", keyId);
        Long(cmd, "ver", expectedVersion);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, cancellationToken);

    private static void BindKey(NpgsqlCommand cmd, KeyRecord k)
    {
        Text(cmd, "id", k.StorageId);
        Text(cmd, "acct", k.AccountId);
        Time(cmd, "created", k.CreationDate);
        Text(cmd, "desc", k.Description);
        Text(cmd, "spec", k.KeySpec);
        Text(cmd, "usage", k.KeyUsage);
        Text(cmd, "origin", k.Origin);
        Text(cmd, "state", k.State.ToString());
        Time(cmd, "del", k.DeletionDate);
        Int(cmd, "win", k.PendingWindowInDays);
        Text(cmd, "mat", k.CurrentMaterialId);
        Text(cmd, "policy", k.Policy);
        Long(cmd, "ver", k.Version);
        Int(cmd, "rot", k.RotationPeriodInDays);
        Time(cmd, "next", k.NextRotationDate);
        Time(cmd, "od", k.OnDemandRotationStartDate);
        Int(cmd, "ods", k.OnDemandRotations);
        Text(cmd, "exp", k.ExpirationModel);
        Time(cmd, "vt", k.ValidTo);
        Text(cmd, "cks", k.CustomKeyStoreId);
        Text(cmd, "xks", k.XksKeyId);
        Text(cmd, "region", k.Region);
        Text(cmd, "primary", k.PrimaryRegion);
        Text(cmd, "mrk", k.MultiRegion ? k.KeyId : null);
    }

}
