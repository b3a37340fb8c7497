using Keyward.Core.Import;
using Keyward.Core.Keys;
using Npgsql;

namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    private const string MaterialColumns =
        "key_id, material_id, seq, wrapped, public_key, created_at, rotation_type, rotation_date, pending_rotation, expiration_model, valid_to, description";

    public ValueTask<MaterialRecord?> GetMaterialAsync(string keyId, string materialId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, $"SELECT {MaterialColumns} FROM key_materials WHERE key_id = @id AND material_id = @mat");
        Text(cmd, "id", keyId);
        Text(cmd, "mat", materialId);
        return await ReadOne(cmd, StorageRows.Material, ct);
    }, cancellationToken);

    public ValueTask<IReadOnlyList<MaterialRecord>> ListMaterialsAsync(string keyId, int afterSequence, int limit, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, $"SELECT {MaterialColumns} FROM key_materials WHERE key_id = @id AND seq > @after ORDER BY seq LIMIT @limit");
        Text(cmd, "id", keyId);
        Int(cmd, "after", afterSequence);
        Int(cmd, "limit", limit);
        return await ReadAll(cmd, StorageRows.Material, ct);
    }, cancellationToken);

    public ValueTask<IReadOnlyList<MaterialRecord>> ListMaterialsDueForExpiryAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null,
            $"SELECT {MaterialColumns} FROM key_materials WHERE valid_to IS NOT NULL AND wrapped IS NOT NULL AND valid_to <= @now ORDER BY valid_to LIMIT @limit");
        Time(cmd, "now", now);
        Int(cmd, "limit", limit);
        return await ReadAll(cmd, StorageRows.Material, ct);
    }, cancellationToken);

    public ValueTask CreateImportParametersAsync(ImportParametersRecord record, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx,
            "INSERT INTO import_parameters (token_id, key_id, wrapping_key_spec, wrapping_algorithm, wrapped_private_key, valid_to) " +
            "VALUES (@tok, @id, @spec, @alg, @w, @vt)");
        Text(cmd, "tok", record.TokenId);
        Text(cmd, "id", record.KeyId);
        Text(cmd, "spec", record.WrappingKeySpec);
        Text(cmd, "alg", record.WrappingAlgorithm);
        Bytes(cmd, "w", record.WrappedPrivateKey);
        Time(cmd, "vt", record.ValidTo);
        return await cmd.ExecuteNonQueryAsync(ct);
    }, cancellationToken).AsUnit();

    public ValueTask<ImportParametersRecord?> GetImportParametersAsync(string tokenId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null,
            "SELECT token_id, key_id, wrapping_key_spec, wrapping_algorithm, wrapped_private_key, valid_to FROM import_parameters WHERE token_id = @tok");
        Text(cmd, "tok", tokenId);
        return await ReadOne(cmd, StorageRows.ImportParameters, ct);
    }, cancellationToken);

    public ValueTask<int> DeleteExpiredImportParametersAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        await using var cmd = Command(c, tx, "DELETE FROM import_parameters WHERE valid_to <= @now");
        Time(cmd, "now", now);
        return await cmd.ExecuteNonQueryAsync(ct);
    }, cancellationToken);

    /// <summary>
    /// Inserts a material version (sequence 0: the key's next one) or rewrites an existing one's mutable columns.
    /// Callers hold the key's row lock (CreateKey inserts the row, UpdateKey updates it), so MAX(seq) + 1 is not raced.
    /// </summary>
    private static async Task UpsertMaterial(NpgsqlConnection c, NpgsqlTransaction tx, MaterialRecord m, CancellationToken ct)
    {
        await using var cmd = Command(c, tx,
            $"INSERT INTO key_materials ({MaterialColumns}) VALUES (@id, @mat, " +
            "CASE WHEN @seq > 0 THEN @seq ELSE (SELECT COALESCE(MAX(seq), 0) + 1 FROM key_materials WHERE key_id = @id) END, " +
            "@w, @pub, @t, @rtype, @rdate, @pending, @exp, @vt, @desc) " +
            "ON CONFLICT (key_id, material_id) DO UPDATE SET wrapped = excluded.wrapped, public_key = excluded.public_key, " +
            "rotation_type = excluded.rotation_type, rotation_date = excluded.rotation_date, pending_rotation = excluded.pending_rotation, " +
            "expiration_model = excluded.expiration_model, valid_to = excluded.valid_to, description = excluded.description");
        Text(cmd, "id", m.KeyId);
        Text(cmd, "mat", m.MaterialId);
        Int(cmd, "seq", m.Sequence);
        Bytes(cmd, "w", m.Wrapped);
        Bytes(cmd, "pub", m.PublicKey);
        Time(cmd, "t", m.CreatedAt);
        Text(cmd, "rtype", m.RotationType);
        Time(cmd, "rdate", m.RotationDate);
        cmd.Parameters.Add(new NpgsqlParameter("pending", NpgsqlTypes.NpgsqlDbType.Boolean) { Value = m.PendingRotation });
        Text(cmd, "exp", m.ExpirationModel);
        Time(cmd, "vt", m.ValidTo);
        Text(cmd, "desc", m.Description);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task DeleteMaterial(NpgsqlConnection c, NpgsqlTransaction tx, string keyId, string materialId, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, "DELETE FROM key_materials WHERE key_id = @id AND material_id = @mat");
        Text(cmd, "id", keyId);
        Text(cmd, "mat", materialId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

}
