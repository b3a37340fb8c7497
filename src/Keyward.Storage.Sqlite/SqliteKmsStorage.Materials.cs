using Keyward.Core.Import;
using Keyward.Core.Keys;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    private const string MaterialColumns =
        "key_id, material_id, seq, wrapped, public_key, created_at, rotation_type, rotation_date, pending_rotation, expiration_model, valid_to, description";

    private const string GetMaterialSql = $"SELECT {MaterialColumns} FROM key_materials WHERE key_id = $id AND material_id = $mat";

    public ValueTask<MaterialRecord?> GetMaterialAsync(string keyId, string materialId, CancellationToken cancellationToken = default) => Read(c =>
    {
        var cmd = Prepared(c, GetMaterialSql, "$id", "$mat");
        cmd.Parameters[0].Value = keyId;
        cmd.Parameters[1].Value = materialId;
        using var r = cmd.ExecuteReader();
        return r.Read() ? StorageRows.Material(r) : null;
    });

    public ValueTask<IReadOnlyList<MaterialRecord>> ListMaterialsAsync(string keyId, int afterSequence, int limit, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, $"SELECT {MaterialColumns} FROM key_materials WHERE key_id = $id AND seq > $after ORDER BY seq LIMIT $limit");
        cmd.Parameters.AddWithValue("$id", keyId);
        cmd.Parameters.AddWithValue("$after", afterSequence);
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadMaterials(cmd);
    });

    public ValueTask<IReadOnlyList<MaterialRecord>> ListMaterialsDueForExpiryAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null,
            $"SELECT {MaterialColumns} FROM key_materials WHERE valid_to IS NOT NULL AND wrapped IS NOT NULL AND valid_to <= $now ORDER BY valid_to LIMIT $limit");
        cmd.Parameters.AddWithValue("$now", Ms(now));
        cmd.Parameters.AddWithValue("$limit", limit);
        return ReadMaterials(cmd);
    });

    public ValueTask CreateImportParametersAsync(ImportParametersRecord record, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx,
            "INSERT INTO import_parameters (token_id, key_id, wrapping_key_spec, wrapping_algorithm, wrapped_private_key, valid_to) " +
            "VALUES ($tok, $id, $spec, $alg, $w, $vt)");
        cmd.Parameters.AddWithValue("$tok", record.TokenId);
        cmd.Parameters.AddWithValue("$id", record.KeyId);
        cmd.Parameters.AddWithValue("$spec", record.WrappingKeySpec);
        cmd.Parameters.AddWithValue("$alg", record.WrappingAlgorithm);
        cmd.Parameters.AddWithValue("$w", record.WrappedPrivateKey);
        cmd.Parameters.AddWithValue("$vt", Ms(record.ValidTo));
        cmd.ExecuteNonQuery();
    });

    public ValueTask<ImportParametersRecord?> GetImportParametersAsync(string tokenId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null,
            "SELECT token_id, key_id, wrapping_key_spec, wrapping_algorithm, wrapped_private_key, valid_to FROM import_parameters WHERE token_id = $tok");
        cmd.Parameters.AddWithValue("$tok", tokenId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StorageRows.ImportParameters(r) : null;
    });

    public ValueTask<int> DeleteExpiredImportParametersAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        using var cmd = Command(c, tx, "DELETE FROM import_parameters WHERE valid_to <= $now");
        cmd.Parameters.AddWithValue("$now", Ms(now));
        return cmd.ExecuteNonQuery();
    });

    /// <summary>Inserts a material version (sequence 0: the key's next one) or rewrites an existing one's mutable columns.</summary>
    private static void UpsertMaterial(SqliteConnection c, SqliteTransaction tx, MaterialRecord m)
    {
        using var cmd = Command(c, tx,
            $"INSERT INTO key_materials ({MaterialColumns}) VALUES ($id, $mat, " +
            "CASE WHEN $seq > 0 THEN $seq ELSE (SELECT COALESCE(MAX(seq), 0) + 1 FROM key_materials WHERE key_id = $id) END, " +
            "$w, $pub, $t, $rtype, $rdate, $pending, $exp, $vt, $desc) " +
            "ON CONFLICT (key_id, material_id) DO UPDATE SET wrapped = excluded.wrapped, public_key = excluded.public_key, " +
            "rotation_type = excluded.rotation_type, rotation_date = excluded.rotation_date, pending_rotation = excluded.pending_rotation, " +
            "expiration_model = excluded.expiration_model, valid_to = excluded.valid_to, description = excluded.description");
        cmd.Parameters.AddWithValue("$id", m.KeyId);
        cmd.Parameters.AddWithValue("$mat", m.MaterialId);
        cmd.Parameters.AddWithValue("$seq", m.Sequence);
        cmd.Parameters.AddWithValue("$w", (object?)m.Wrapped ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$pub", (object?)m.PublicKey ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$t", Ms(m.CreatedAt));
        cmd.Parameters.AddWithValue("$rtype", (object?)m.RotationType ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$rdate", Nullable(m.RotationDate));
        cmd.Parameters.AddWithValue("$pending", m.PendingRotation ? 1 : 0);
        cmd.Parameters.AddWithValue("$exp", (object?)m.ExpirationModel ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$vt", Nullable(m.ValidTo));
        cmd.Parameters.AddWithValue("$desc", (object?)m.Description ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    private static void DeleteMaterial(SqliteConnection c, SqliteTransaction tx, string keyId, string materialId)
    {
        using var cmd = Command(c, tx, "DELETE FROM key_materials WHERE key_id = $id AND material_id = $mat");
        cmd.Parameters.AddWithValue("$id", keyId);
        cmd.Parameters.AddWithValue("$mat", materialId);
        cmd.ExecuteNonQuery();
    }

    private static IReadOnlyList<MaterialRecord> ReadMaterials(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<MaterialRecord>();
        while (r.Read()) list.Add(StorageRows.Material(r));
        return list;
    }

}
