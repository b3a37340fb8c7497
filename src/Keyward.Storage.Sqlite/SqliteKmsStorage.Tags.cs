using Keyward.Core.Keys;
using Microsoft.Data.Sqlite;

namespace Keyward.Storage.Sqlite;

public sealed partial class SqliteKmsStorage
{
    public ValueTask<IReadOnlyList<TagRecord>> ListTagsAsync(string keyId, CancellationToken cancellationToken = default) => Read(c =>
    {
        using var cmd = Command(c, null, "SELECT tag_key, tag_value FROM tags WHERE key_id = $id ORDER BY tag_key");
        cmd.Parameters.AddWithValue("$id", keyId);
        using var r = cmd.ExecuteReader();
        var list = new List<TagRecord>();
        while (r.Read()) list.Add(new TagRecord(r.GetString(0), r.GetString(1)));
        return (IReadOnlyList<TagRecord>)list;
    });

    public ValueTask ChangeTagsAsync(string keyId, IReadOnlyList<TagRecord> upsert, IReadOnlyList<string> removeKeys, CancellationToken cancellationToken = default) => Write((c, tx) =>
    {
        foreach (var t in upsert) UpsertTag(c, tx, keyId, t);
        foreach (var k in removeKeys)
        {
            using var cmd = Command(c, tx, "DELETE FROM tags WHERE key_id = $id AND tag_key = $k");
            cmd.Parameters.AddWithValue("$id", keyId);
            cmd.Parameters.AddWithValue("$k", k);
            cmd.ExecuteNonQuery();
        }
    });

    private static void UpsertTag(SqliteConnection c, SqliteTransaction tx, string keyId, TagRecord t)
    {
        using var cmd = Command(c, tx, "INSERT INTO tags (key_id, tag_key, tag_value) VALUES ($id, $k, $v) ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value");
        cmd.Parameters.AddWithValue("$id", keyId);
        cmd.Parameters.AddWithValue("$k", t.TagKey);
        cmd.Parameters.AddWithValue("$v", t.TagValue);
        cmd.ExecuteNonQuery();
    }
}
