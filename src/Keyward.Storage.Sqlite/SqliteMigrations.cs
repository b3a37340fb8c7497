namespace Keyward.Storage.Sqlite;

/// <summary>
/// Numbered schema migrations; index + 1 is the version. Never edit a released migration,
/// only append. Times are Unix milliseconds; enum-like columns hold the AWS wire names.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly string[] All =
    [
        // 1: keys, material versions, aliases, tags, settings.
        """
        CREATE TABLE settings (
            name  TEXT PRIMARY KEY,
            value BLOB NOT NULL
        ) STRICT;

        CREATE TABLE keys (
            key_id               TEXT PRIMARY KEY,
            account_id           TEXT NOT NULL,
            creation_date        INTEGER NOT NULL,
            description          TEXT NOT NULL,
            key_spec             TEXT NOT NULL,
            key_usage            TEXT NOT NULL,
            origin               TEXT NOT NULL,
            key_state            TEXT NOT NULL,
            deletion_date        INTEGER,
            pending_window_days  INTEGER,
            current_material_id  TEXT,
            policy               TEXT NOT NULL,
            version              INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX keys_by_account ON keys (account_id, key_id);
        CREATE INDEX keys_by_deletion ON keys (deletion_date) WHERE deletion_date IS NOT NULL;

        CREATE TABLE key_materials (
            key_id       TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            material_id  TEXT NOT NULL,
            wrapped      BLOB NOT NULL,
            created_at   INTEGER NOT NULL,
            PRIMARY KEY (key_id, material_id)
        ) STRICT;

        CREATE TABLE aliases (
            account_id         TEXT NOT NULL,
            alias_name         TEXT NOT NULL,
            target_key_id      TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            creation_date      INTEGER NOT NULL,
            last_updated_date  INTEGER NOT NULL,
            PRIMARY KEY (account_id, alias_name)
        ) STRICT;
        CREATE INDEX aliases_by_target ON aliases (target_key_id);

        CREATE TABLE tags (
            key_id     TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            tag_key    TEXT NOT NULL,
            tag_value  TEXT NOT NULL,
            PRIMARY KEY (key_id, tag_key)
        ) STRICT;
        """,

        // 2: the public key (DER SubjectPublicKeyInfo) of an asymmetric material version.
        """
        ALTER TABLE key_materials ADD COLUMN public_key BLOB;
        """,
    ];
}
