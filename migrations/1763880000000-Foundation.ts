import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Roles, vaults, keys, principals and grants, and the first append-only ledger table.
 * The application logs in as a member of keybridge_app; the ledger belongs to keybridge_ledger_owner,
 * so the application may only INSERT and SELECT it, and triggers refuse UPDATE/DELETE/TRUNCATE for everyone.
 */
export class Foundation1763880000000 implements MigrationInterface {
  name = 'Foundation1763880000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keybridge_app') THEN CREATE ROLE keybridge_app NOLOGIN; END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keybridge_ledger_owner') THEN CREATE ROLE keybridge_ledger_owner NOLOGIN; END IF;
      END $$;
    `);

    await q.query(`
      CREATE TABLE principals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),
        global_permissions text[] NOT NULL DEFAULT '{}',
        jwt_subject text UNIQUE,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        principal_id uuid NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        label text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        revoked_at timestamptz
      );
      CREATE TABLE vaults (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        pool text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE grants (
        principal_id uuid NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
        vault_id uuid NOT NULL REFERENCES vaults(id) ON DELETE CASCADE,
        permissions text[] NOT NULL,
        PRIMARY KEY (principal_id, vault_id)
      );
      CREATE TABLE keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        vault_id uuid NOT NULL REFERENCES vaults(id),
        name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,126}$'),
        kty text NOT NULL CHECK (kty IN ('RSA', 'EC', 'oct')),
        size integer,
        curve text,
        key_ops text[] NOT NULL,
        tags jsonb NOT NULL DEFAULT '{}',
        exportable boolean NOT NULL,
        latest_version integer NOT NULL,
        min_decrypt_version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted_at timestamptz,
        scheduled_purge_at timestamptz,
        UNIQUE (vault_id, name)
      );
      CREATE INDEX keys_live_by_vault ON keys (vault_id, name) WHERE deleted_at IS NULL;
      CREATE INDEX keys_deleted_by_vault ON keys (vault_id, name) WHERE deleted_at IS NOT NULL;
      CREATE TABLE key_versions (
        key_id uuid NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version >= 1),
        pool text NOT NULL,
        hsm_object_id text NOT NULL,
        enabled boolean NOT NULL,
        nbf timestamptz,
        exp timestamptz,
        origin text NOT NULL CHECK (origin IN ('generated', 'byok', 'transfer', 'restore')),
        public_jwk jsonb,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (key_id, version),
        UNIQUE (pool, hsm_object_id)
      );
    `);

    await q.query(`
      CREATE TABLE ledger_entries (
        seq bigint PRIMARY KEY CHECK (seq >= 1),
        recorded_at timestamptz NOT NULL,
        principal_id text,
        vault text,
        key_name text,
        key_version integer,
        operation text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
        error_code text,
        request_id text,
        trace_id text,
        params_digest text,
        details jsonb NOT NULL DEFAULT '{}',
        prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
        entry_hash bytea NOT NULL CHECK (length(entry_hash) = 32)
      );
      CREATE INDEX ledger_by_vault_key ON ledger_entries (vault, key_name, seq);
      CREATE INDEX ledger_by_principal ON ledger_entries (principal_id, seq);

      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger_entries is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON ledger_entries
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
      CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger_entries
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

      ALTER TABLE ledger_entries OWNER TO keybridge_ledger_owner;
      ALTER FUNCTION ledger_refuse_change() OWNER TO keybridge_ledger_owner;
      REVOKE ALL ON ledger_entries FROM PUBLIC;
      GRANT SELECT, INSERT ON ledger_entries TO keybridge_app;
    `);

    await q.query(`
      GRANT USAGE ON SCHEMA public TO keybridge_app;
      GRANT SELECT, INSERT, UPDATE, DELETE ON principals, api_tokens, vaults, grants, keys, key_versions TO keybridge_app;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE ledger_entries; DROP FUNCTION ledger_refuse_change();
      DROP TABLE key_versions; DROP TABLE keys; DROP TABLE grants; DROP TABLE vaults;
      DROP TABLE api_tokens; DROP TABLE principals;
    `);
  }
}
