using Keyward.Core.Keys;
using Npgsql;

namespace Keyward.Storage.Postgres;

public sealed partial class PostgresKmsStorage
{
    public ValueTask<IReadOnlyList<TagRecord>> ListTagsAsync(string keyId, CancellationToken cancellationToken = default) => Read(async (c, ct) =>
    {
        await using var cmd = Command(c, null, "SELECT tag_key, tag_value FROM tags WHERE key_id = @id ORDER BY tag_key");
        Text(cmd, "id", keyId);
        return await ReadAll(cmd, r => new TagRecord(r.GetString(0), r.GetString(1)), ct);
    }, cancellationToken);

    public ValueTask ChangeTagsAsync(string keyId, IReadOnlyList<TagRecord> upsert, IReadOnlyList<string> removeKeys, CancellationToken cancellationToken = default) => Write(async (c, tx, ct) =>
    {
        foreach (var t in upsert) await UpsertTag(c, tx, keyId, t, ct);
        foreach (var k in removeKeys)
        {
            await using var cmd = Command(c, tx, "DELETE FROM tags WHERE key_id = @id AND tag_key = @k");
            Text(cmd, "id", keyId);
            Text(cmd, "k", k);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return true;
    }, cancellationToken).AsUnit();

    private static async Task UpsertTag(NpgsqlConnection c, NpgsqlTransaction tx, string keyId, TagRecord t, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, "INSERT INTO tags (key_id, tag_key, tag_value) VALUES (@id, @k, @v) ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value");
        Text(cmd, "id", keyId);
        Text(cmd, "k", t.TagKey);
        Text(cmd, "v", t.TagValue);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
