using Keyward.Core.Keys;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

internal sealed partial class SqliteKmsStorage
{
    private const string KeyColumns =
        "key_id, account_id, creation_date, description, key_spec, key_usage, origin, key_state, deletion_date, pending_window_days, current_material_id, policy, version";

    public ValueTask CreateKeyAsync(KeyRecord key, MaterialRecord? material, IReadOnlyList<TagRecord> tags, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using (var cmd = Command(c, tx, $"INSERT INTO keys ({KeyColumns}) VALUES ($id, $acct, $created, $desc, $spec, $usage, $origin, $state, $del, $win, $mat, $policy, $ver)"))
        {
            BindKey(cmd, key);
            cmd.ExecuteNonQuery();
        }
        if (material is not null) InsertMaterial(c, tx, material);
        foreach (var t in tags) UpsertTag(c, tx, key.KeyId, t);
    });

    public ValueTask<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {KeyColumns} FROM keys WHERE key_id = $id");
        cmd.Parameters.AddWithValue("$id", keyId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadKey(r) : null;
    });

    public ValueTask<KeyRecord?> UpdateKeyAsync(KeyRecord key, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        var next = key with { Version = key.Version + 1 };
        using var cmd = Command(c, tx,
            "UPDATE keys SET description = $desc, key_spec = $spec, key_usage = $usage, origin = $origin, key_state = $state, " +
            "deletion_date = $del, pending_window_days = $win, current_material_id = $mat, policy = $policy, version = $ver " +
            "WHERE key_id = $id AND version = $expected");
        BindKey(cmd, next);
        cmd.Parameters.AddWithValue("$expected", key.Version);
        return cmd.ExecuteNonQuery() == 1 ? next : null;
    });

    public ValueTask<IReadOnlyList<KeyRecord>> ListKeysAsync(string accountId, string? afterKeyId, int limit, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {KeyColumns} FROM keys WHERE account_id = $acct AND key_id > $after ORDER BY key_id LIMIT $limit");
        cmd.Parameters.AddWithValue("$acct", accountId);
        cmd.Parameters.AddWithValue("$after", afterKeyId ?? string.Empty);
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadKeys(cmd);
    });

    public ValueTask<MaterialRecord?> GetMaterialAsync(string keyId, string materialId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, "SELECT wrapped, created_at, public_key FROM key_materials WHERE key_id = $id AND material_id = $mat");
        cmd.Parameters.AddWithValue("$id", keyId);
        cmd.Parameters.AddWithValue("$mat", materialId);
        using var r = cmd.ExecuteReader();
        return r.Read()
            ? new MaterialRecord(keyId, materialId, (byte[])r.GetValue(0), Time(r.GetInt64(1)), r.IsDBNull(2) ? null : (byte[])r.GetValue(2))
            : null;
    });

    public ValueTask<IReadOnlyList<KeyRecord>> ListKeysDueForDeletionAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null,
            $"SELECT {KeyColumns} FROM keys WHERE key_state = 'PendingDeletion' AND deletion_date <= $now ORDER BY deletion_date LIMIT $limit");
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

    private static void InsertMaterial(SqliteConnection c, SqliteTransaction tx, MaterialRecord m)
    {
        using var cmd = Command(c, tx, "INSERT INTO key_materials (key_id, material_id, wrapped, created_at, public_key) VALUES ($id, $mat, $w, $t, $pub)");
        cmd.Parameters.AddWithValue("$id", m.KeyId);
        cmd.Parameters.AddWithValue("$mat", m.MaterialId);
        cmd.Parameters.AddWithValue("$w", m.Wrapped);
        cmd.Parameters.AddWithValue("$t", Ms(m.CreatedAt));
        cmd.Parameters.AddWithValue("$pub", (object?)m.PublicKey ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    private static void BindKey(SqliteCommand cmd, KeyRecord k)
    {
        cmd.Parameters.AddWithValue("$id", k.KeyId);
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
    }

    private static IReadOnlyList<KeyRecord> ReadKeys(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<KeyRecord>();
        while (r.Read()) list.Add(ReadKey(r));
        return list;
    }

    private static KeyRecord ReadKey(SqliteDataReader r) => new()
    {
        KeyId = r.GetString(0),
        AccountId = r.GetString(1),
        CreationDate = Time(r.GetInt64(2)),
        Description = r.GetString(3),
        KeySpec = r.GetString(4),
        KeyUsage = r.GetString(5),
        Origin = r.GetString(6),
        State = Enum.Parse<KeyState>(r.GetString(7)),
        DeletionDate = r.IsDBNull(8) ? null : Time(r.GetInt64(8)),
        PendingWindowInDays = r.IsDBNull(9) ? null : r.GetInt32(9),
        CurrentMaterialId = r.IsDBNull(10) ? null : r.GetString(10),
        Policy = r.GetString(11),
        Version = r.GetInt64(12),
    };
}
