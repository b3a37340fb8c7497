namespace Keyward.Storage.Postgres;

/// <summary>
/// Numbered schema migrations for PostgreSQL; index + 1 is the version. Never edit a released
/// migration, only append. The schema matches SQLite's (migrations 1–5 there) column for column:
/// times are Unix milliseconds (bigint), enum-like columns hold the AWS wire names. Columns that
/// page or sort use the "C" collation, so order is by code point, as in SQLite, whatever the
/// database's locale.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>The channel the change triggers notify (see <see cref="PostgresChangeFeed"/>).</summary>
    public const string Channel = "keyward_changes";

    public static readonly string[] All =
    [
        // 1: everything SQLite's migrations 1–5 built.
        """
        CREATE TABLE settings (
            name   text PRIMARY KEY,
            value  bytea NOT NULL
        );

        CREATE TABLE custom_key_stores (
            custom_key_store_id       text COLLATE "C" PRIMARY KEY,
            account_id                text NOT NULL,
            name                      text NOT NULL,
            store_type                text NOT NULL,
            cloud_hsm_cluster_id      text,
            trust_anchor_certificate  text,
            key_store_password        bytea,
            connection_state          text NOT NULL,
            connection_error_code     text,
            creation_date             bigint NOT NULL,
            version                   bigint NOT NULL,
            UNIQUE (account_id, name)
        );

        CREATE TABLE keys (
            key_id                    text COLLATE "C" PRIMARY KEY,
            account_id                text NOT NULL,
            creation_date             bigint NOT NULL,
            description               text NOT NULL,
            key_spec                  text NOT NULL,
            key_usage                 text NOT NULL,
            origin                    text NOT NULL,
            key_state                 text NOT NULL,
            deletion_date             bigint,
            pending_window_days       integer,
            current_material_id       text,
            policy                    text NOT NULL,
            version                   bigint NOT NULL,
            rotation_period_days      integer,
            next_rotation_date        bigint,
            on_demand_rotation_start  bigint,
            on_demand_rotations       integer NOT NULL DEFAULT 0,
            expiration_model          text,
            valid_to                  bigint,
            custom_key_store_id       text REFERENCES custom_key_stores (custom_key_store_id)
        );
        CREATE INDEX keys_by_account ON keys (account_id, key_id);
        CREATE INDEX keys_by_deletion ON keys (deletion_date) WHERE deletion_date IS NOT NULL;
        CREATE INDEX keys_by_rotation ON keys (next_rotation_date) WHERE next_rotation_date IS NOT NULL;
        CREATE INDEX keys_by_custom_key_store ON keys (custom_key_store_id) WHERE custom_key_store_id IS NOT NULL;

        CREATE TABLE key_materials (
            key_id            text NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            material_id       text NOT NULL,
            seq               integer NOT NULL,
            wrapped           bytea,
            public_key        bytea,
            created_at        bigint NOT NULL,
            rotation_type     text,
            rotation_date     bigint,
            pending_rotation  boolean NOT NULL DEFAULT false,
            expiration_model  text,
            valid_to          bigint,
            description       text,
            PRIMARY KEY (key_id, material_id),
            UNIQUE (key_id, seq)
        );
        CREATE INDEX key_materials_by_expiry ON key_materials (valid_to) WHERE valid_to IS NOT NULL AND wrapped IS NOT NULL;

        CREATE TABLE aliases (
            account_id         text NOT NULL,
            alias_name         text COLLATE "C" NOT NULL,
            target_key_id      text NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            creation_date      bigint NOT NULL,
            last_updated_date  bigint NOT NULL,
            PRIMARY KEY (account_id, alias_name)
        );
        CREATE INDEX aliases_by_target ON aliases (target_key_id);

        CREATE TABLE tags (
            key_id     text NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            tag_key    text COLLATE "C" NOT NULL,
            tag_value  text NOT NULL,
            PRIMARY KEY (key_id, tag_key)
        );

        CREATE TABLE import_parameters (
            token_id             text PRIMARY KEY,
            key_id               text NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            wrapping_key_spec    text NOT NULL,
            wrapping_algorithm   text NOT NULL,
            wrapped_private_key  bytea NOT NULL,
            valid_to             bigint NOT NULL
        );
        CREATE INDEX import_parameters_by_expiry ON import_parameters (valid_to);
        CREATE INDEX import_parameters_by_key ON import_parameters (key_id);

        CREATE TABLE job_leases (
            name        text PRIMARY KEY,
            owner       text NOT NULL,
            expires_at  bigint NOT NULL
        );
        """,

        // 2: change notices for the caches of every node. pg_notify in the writing transaction is
        // delivered when (and only if) it commits. Payload: kind letter, version, id.
        """
        CREATE FUNCTION keyward_notify_key() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('keyward_changes', 'k 9223372036854775807 ' || OLD.key_id);
            ELSE
                PERFORM pg_notify('keyward_changes', 'k ' || NEW.version || ' ' || NEW.key_id);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER keys_changed AFTER UPDATE OR DELETE ON keys FOR EACH ROW EXECUTE FUNCTION keyward_notify_key();

        CREATE FUNCTION keyward_notify_alias() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('keyward_changes', 'a 0 ' || OLD.account_id || '/' || OLD.alias_name);
            ELSE
                PERFORM pg_notify('keyward_changes', 'a 0 ' || NEW.account_id || '/' || NEW.alias_name);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER aliases_changed AFTER INSERT OR UPDATE OR DELETE ON aliases FOR EACH ROW EXECUTE FUNCTION keyward_notify_alias();

        CREATE FUNCTION keyward_notify_store() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('keyward_changes', 's 9223372036854775807 ' || OLD.custom_key_store_id);
            ELSE
                PERFORM pg_notify('keyward_changes', 's ' || NEW.version || ' ' || NEW.custom_key_store_id);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER custom_key_stores_changed AFTER UPDATE OR DELETE ON custom_key_stores FOR EACH ROW EXECUTE FUNCTION keyward_notify_store();
        """,

        // 3: grants, as SQLite's migration 6; a change notice names the grant's key.
        """
        CREATE TABLE grants (
            grant_id            text COLLATE "C" PRIMARY KEY,
            key_id              text NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
            name                text NOT NULL,
            grantee_principal   text NOT NULL,
            retiring_principal  text,
            issuing_account     text NOT NULL,
            operations          text NOT NULL,
            ec_subset           text,
            ec_equals           text,
            creation_date       bigint NOT NULL
        );
        CREATE INDEX grants_by_key ON grants (key_id, grant_id);
        CREATE INDEX grants_by_retiring ON grants (retiring_principal, grant_id) WHERE retiring_principal IS NOT NULL;

        CREATE FUNCTION keyward_notify_grant() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('keyward_changes', 'g 0 ' || OLD.key_id);
            ELSE
                PERFORM pg_notify('keyward_changes', 'g 0 ' || NEW.key_id);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER grants_changed AFTER INSERT OR DELETE ON grants FOR EACH ROW EXECUTE FUNCTION keyward_notify_grant();
        """,

        // 4: the audit log and key usage, as SQLite's migration 7.
        """
        CREATE TABLE audit_events (
            seq            bigint PRIMARY KEY,
            event_time     bigint NOT NULL,
            event_name     text NOT NULL,
            principal_arn  text NOT NULL,
            key_arns       text,
            json           bytea NOT NULL,
            prev_hash      bytea NOT NULL,
            hash           bytea NOT NULL
        );
        CREATE TABLE key_usage (
            key_arn     text PRIMARY KEY,
            event_time  bigint NOT NULL,
            operation   text NOT NULL,
            event_id    text NOT NULL,
            request_id  text NOT NULL
        );
        """,

        // 5: external key stores: the XKS proxy's address and credential (the secret wrapped by the barrier),
        // and each external key's id, unique within its store.
        """
        ALTER TABLE custom_key_stores ADD COLUMN xks_proxy_uri_endpoint text;
        ALTER TABLE custom_key_stores ADD COLUMN xks_proxy_uri_path text;
        ALTER TABLE custom_key_stores ADD COLUMN xks_proxy_connectivity text;
        ALTER TABLE custom_key_stores ADD COLUMN xks_access_key_id text;
        ALTER TABLE custom_key_stores ADD COLUMN xks_secret bytea;
        ALTER TABLE keys ADD COLUMN xks_key_id text;
        CREATE UNIQUE INDEX keys_by_xks_key ON keys (custom_key_store_id, xks_key_id) WHERE xks_key_id IS NOT NULL;
        """,

        // 6: a key's grants by grantee (authorization reads only the caller's grants; a key may have 50,000).
        """
        CREATE INDEX grants_by_grantee ON grants (key_id, grantee_principal, grant_id);
        """,

        // 7: the audit log by time and by event name, as SQLite's migration 10.
        """
        CREATE INDEX audit_by_time ON audit_events (event_time);
        CREATE INDEX audit_by_name ON audit_events (event_name, seq);
        """,

        // 8: Regions, as SQLite's migration 11 (constraints are changed in place here). An alias's change notice names
        // account/region/alias.
        """
        ALTER TABLE keys ADD COLUMN region text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE keys ADD COLUMN primary_region text COLLATE "C";
        ALTER TABLE keys ADD COLUMN multi_region_key_id text COLLATE "C";
        DROP INDEX keys_by_account;
        CREATE INDEX keys_by_account ON keys (account_id, region, key_id);
        CREATE INDEX keys_by_multi_region_key ON keys (multi_region_key_id) WHERE multi_region_key_id IS NOT NULL;

        ALTER TABLE aliases ADD COLUMN region text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE aliases DROP CONSTRAINT aliases_pkey, ADD PRIMARY KEY (account_id, region, alias_name);

        ALTER TABLE custom_key_stores ADD COLUMN region text COLLATE "C" NOT NULL DEFAULT '';
        ALTER TABLE custom_key_stores DROP CONSTRAINT custom_key_stores_account_id_name_key,
            ADD CONSTRAINT custom_key_stores_account_region_name_key UNIQUE (account_id, region, name);

        CREATE OR REPLACE FUNCTION keyward_notify_alias() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('keyward_changes', 'a 0 ' || OLD.account_id || '/' || OLD.region || '/' || OLD.alias_name);
            ELSE
                PERFORM pg_notify('keyward_changes', 'a 0 ' || NEW.account_id || '/' || NEW.region || '/' || NEW.alias_name);
            END IF;
            RETURN NULL;
        END $$;
        """,
    ];
}
