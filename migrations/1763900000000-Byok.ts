import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * BYOK: per-vault attestation keys and transport keys. Both point at HSM objects by (pool, CKA_ID); a transport key
 * keeps the attestation it was handed out with (the canonical payload and its ES256 signature) and how often it was
 * used. The application may read, insert and update them (uses, revocation, destruction), never delete: a transport
 * key's row outlives its HSM object, as the record of what was imported under it.
 */
export class Byok1763900000000 implements MigrationInterface {
  name = 'Byok1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attestation_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        vault_id uuid NOT NULL UNIQUE REFERENCES vaults(id),
        pool text NOT NULL,
        hsm_object_id text NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (pool, hsm_object_id)
      );
      CREATE TABLE transport_keys (
        id uuid PRIMARY KEY,
        vault_id uuid NOT NULL REFERENCES vaults(id),
        pool text NOT NULL,
        hsm_object_id text NOT NULL,
        size integer NOT NULL CHECK (size IN (2048, 3072, 4096)),
        public_jwk jsonb NOT NULL,
        oaep_hashes text[] NOT NULL CHECK (oaep_hashes <@ ARRAY['SHA-1', 'SHA-256'] AND cardinality(oaep_hashes) >= 1),
        max_uses integer NOT NULL CHECK (max_uses >= 1),
        uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
        last_used_at timestamptz,
        revoked_at timestamptz,
        destroyed_at timestamptz,
        attestation_key_id uuid NOT NULL REFERENCES attestation_keys(id),
        attestation_payload text NOT NULL,
        attestation_signature bytea NOT NULL,
        UNIQUE (pool, hsm_object_id)
      );
      CREATE INDEX transport_keys_by_vault ON transport_keys (vault_id, created_at DESC);
      CREATE INDEX transport_keys_to_destroy ON transport_keys (expires_at) WHERE destroyed_at IS NULL;
      GRANT SELECT, INSERT, UPDATE ON attestation_keys, transport_keys TO keybridge_app;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE transport_keys; DROP TABLE attestation_keys;');
  }
}
