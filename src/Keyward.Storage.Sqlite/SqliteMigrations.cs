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

        // 3: rotation and imported material. key_materials is rebuilt because `wrapped` becomes
        // nullable (imported material that was deleted or expired keeps its row without its secret).
        """
        ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER;
        ALTER TABLE keys ADD COLUMN next_rotation_date INTEGER;
        ALTER TABLE keys ADD COLUMN on_demand_rotation_start INTEGER;
        ALTER TABLE keys ADD COLUMN on_demand_rotations INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE keys ADD COLUMN expiration_model TEXT;
        ALTER TABLE keys ADD COLUMN valid_to INTEGER;
        CREATE INDEX keys_by_rotation ON keys (next_rotation_date) WHERE next_rotation_date IS NOT NULL;

        CREATE TABLE key_materials_v3 (
            key_id            TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            material_id       TEXT NOT NULL,
            seq               INTEGER NOT NULL,
            wrapped           BLOB,
            public_key        BLOB,
            created_at        INTEGER NOT NULL,
            rotation_type     TEXT,
            rotation_date     INTEGER,
            pending_rotation  INTEGER NOT NULL DEFAULT 0,
            expiration_model  TEXT,
            valid_to          INTEGER,
            description       TEXT,
            PRIMARY KEY (key_id, material_id)
        ) STRICT;
        INSERT INTO key_materials_v3 (key_id, material_id, seq, wrapped, public_key, created_at)
            SELECT key_id, material_id, 1, wrapped, public_key, created_at FROM key_materials;
        DROP TABLE key_materials;
        ALTER TABLE key_materials_v3 RENAME TO key_materials;
        CREATE UNIQUE INDEX key_materials_by_seq ON key_materials (key_id, seq);
        CREATE INDEX key_materials_by_expiry ON key_materials (valid_to) WHERE valid_to IS NOT NULL AND wrapped IS NOT NULL;

        CREATE TABLE import_parameters (
            token_id             TEXT PRIMARY KEY,
            key_id               TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            wrapping_key_spec    TEXT NOT NULL,
            wrapping_algorithm   TEXT NOT NULL,
            wrapped_private_key  BLOB NOT NULL,
            valid_to             INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX import_parameters_by_expiry ON import_parameters (valid_to);
        CREATE INDEX import_parameters_by_key ON import_parameters (key_id);
        """,

        // 4: custom key stores; a key may belong to one.
        """
        CREATE TABLE custom_key_stores (
            custom_key_store_id       TEXT PRIMARY KEY,
            account_id                TEXT NOT NULL,
            name                      TEXT NOT NULL,
            store_type                TEXT NOT NULL,
            cloud_hsm_cluster_id      TEXT,
            trust_anchor_certificate  TEXT,
            key_store_password        BLOB,
            connection_state          TEXT NOT NULL,
            connection_error_code     TEXT,
            creation_date             INTEGER NOT NULL,
            version                   INTEGER NOT NULL,
            UNIQUE (account_id, name)
        ) STRICT;
        ALTER TABLE keys ADD COLUMN custom_key_store_id TEXT REFERENCES custom_key_stores (custom_key_store_id);
        CREATE INDEX keys_by_custom_key_store ON keys (custom_key_store_id) WHERE custom_key_store_id IS NOT NULL;
        """,

        // 5: background job leases (one holder at a time; expires_at lets another take over).
        """
        CREATE TABLE job_leases (
            name        TEXT PRIMARY KEY,
            owner       TEXT NOT NULL,
            expires_at  INTEGER NOT NULL
        ) STRICT;
        """,

        // 6: grants (operations comma-separated; constraint contexts as JSON objects).
        """
        CREATE TABLE grants (
            grant_id            TEXT PRIMARY KEY,
            key_id              TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            name                TEXT NOT NULL,
            grantee_principal   TEXT NOT NULL,
            retiring_principal  TEXT,
            issuing_account     TEXT NOT NULL,
            operations          TEXT NOT NULL,
            ec_subset           TEXT,
            ec_equals           TEXT,
            creation_date       INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX grants_by_key ON grants (key_id, grant_id);
        CREATE INDEX grants_by_retiring ON grants (retiring_principal, grant_id) WHERE retiring_principal IS NOT NULL;
        """,

        // 7: the audit log (a hash chain over the UTF-8 JSON in `json`; key_arns are the touched keys separated by spaces)
        // and the last use of each key.
        """
        CREATE TABLE audit_events (
            seq            INTEGER PRIMARY KEY,
            event_time     INTEGER NOT NULL,
            event_name     TEXT NOT NULL,
            principal_arn  TEXT NOT NULL,
            key_arns       TEXT,
            json           BLOB NOT NULL,
            prev_hash      BLOB NOT NULL,
            hash           BLOB NOT NULL
        ) STRICT;
        CREATE TABLE key_usage (
            key_arn     TEXT PRIMARY KEY,
            event_time  INTEGER NOT NULL,
            operation   TEXT NOT NULL,
            event_id    TEXT NOT NULL,
            request_id  TEXT NOT NULL
        ) STRICT;
        """,

        // 8: external key stores: the XKS proxy's address and credential (the secret wrapped by the barrier),
        // and each external key's id, unique within its store.
        """
        ALTER TABLE custom_key_stores ADD COLUMN xks_proxy_uri_endpoint TEXT;
        ALTER TABLE custom_key_stores ADD COLUMN xks_proxy_uri_path TEXT;
        ALTER TABLE custom_key_stores ADD COLUMN xks_proxy_connectivity TEXT;
        ALTER TABLE custom_key_stores ADD COLUMN xks_access_key_id TEXT;
        ALTER TABLE custom_key_stores ADD COLUMN xks_secret BLOB;
        ALTER TABLE keys ADD COLUMN xks_key_id TEXT;
        CREATE UNIQUE INDEX keys_by_xks_key ON keys (custom_key_store_id, xks_key_id) WHERE xks_key_id IS NOT NULL;
        """,

        // 9: a key's grants by grantee (authorization reads only the caller's grants; a key may have 50,000).
        """
        CREATE INDEX grants_by_grantee ON grants (key_id, grantee_principal, grant_id);
        """,

        // 10: the audit log by time and by event name (LookupEvents' time range and EventName attribute).
        """
        CREATE INDEX audit_by_time ON audit_events (event_time);
        CREATE INDEX audit_by_name ON audit_events (event_name, seq);
        """,

        // 11: Regions. Keys, aliases and custom key stores belong to a Region; rows written before get '' here and the
        // server's home Region at its next start (AdoptRegionlessRowsAsync). A Multi-Region key's rows (one per Region,
        // key_id 'mrk-…/region') share multi_region_key_id and name the primary's Region. Aliases and custom key stores
        // are rebuilt: their names become unique per account and Region (migrations run with foreign keys off:
        // custom_key_stores is the parent of keys.custom_key_store_id).
        """
        ALTER TABLE keys ADD COLUMN region TEXT NOT NULL DEFAULT '';
        ALTER TABLE keys ADD COLUMN primary_region TEXT;
        ALTER TABLE keys ADD COLUMN multi_region_key_id TEXT;
        DROP INDEX keys_by_account;
        CREATE INDEX keys_by_account ON keys (account_id, region, key_id);
        CREATE INDEX keys_by_multi_region_key ON keys (multi_region_key_id) WHERE multi_region_key_id IS NOT NULL;

        CREATE TABLE aliases_v11 (
            account_id         TEXT NOT NULL,
            region             TEXT NOT NULL,
            alias_name         TEXT NOT NULL,
            target_key_id      TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            creation_date      INTEGER NOT NULL,
            last_updated_date  INTEGER NOT NULL,
            PRIMARY KEY (account_id, region, alias_name)
        ) STRICT;
        INSERT INTO aliases_v11 (account_id, region, alias_name, target_key_id, creation_date, last_updated_date)
            SELECT account_id, '', alias_name, target_key_id, creation_date, last_updated_date FROM aliases;
        DROP TABLE aliases;
        ALTER TABLE aliases_v11 RENAME TO aliases;
        CREATE INDEX aliases_by_target ON aliases (target_key_id);

        CREATE TABLE custom_key_stores_v11 (
            custom_key_store_id       TEXT PRIMARY KEY,
            account_id                TEXT NOT NULL,
            region                    TEXT NOT NULL,
            name                      TEXT NOT NULL,
            store_type                TEXT NOT NULL,
            cloud_hsm_cluster_id      TEXT,
            trust_anchor_certificate  TEXT,
            key_store_password        BLOB,
            connection_state          TEXT NOT NULL,
            connection_error_code     TEXT,
            creation_date             INTEGER NOT NULL,
            version                   INTEGER NOT NULL,
            xks_proxy_uri_endpoint    TEXT,
            xks_proxy_uri_path        TEXT,
            xks_proxy_connectivity    TEXT,
            xks_access_key_id         TEXT,
            xks_secret                BLOB,
            UNIQUE (account_id, region, name)
        ) STRICT;
        INSERT INTO custom_key_stores_v11 (custom_key_store_id, account_id, region, name, store_type, cloud_hsm_cluster_id,
                trust_anchor_certificate, key_store_password, connection_state, connection_error_code, creation_date, version,
                xks_proxy_uri_endpoint, xks_proxy_uri_path, xks_proxy_connectivity, xks_access_key_id, xks_secret)
            SELECT custom_key_store_id, account_id, '', name, store_type, cloud_hsm_cluster_id, trust_anchor_certificate,
                key_store_password, connection_state, connection_error_code, creation_date, version, xks_proxy_uri_endpoint,
                xks_proxy_uri_path, xks_proxy_connectivity, xks_access_key_id, xks_secret FROM custom_key_stores;
        DROP TABLE custom_key_stores;
        ALTER TABLE custom_key_stores_v11 RENAME TO custom_key_stores;
        """,
    ];
}
