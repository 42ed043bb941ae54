import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Secrets the gateway must keep (webhook signing secrets) are stored sealed: AES-256-GCM under a key that lives in an
 * HSM pool (`sealing_keys`: its pool and CKA_ID; the key never leaves the HSM), with the row's id as additional
 * authenticated data, so a sealed value copied to another row does not open. The plaintext column stays only for
 * rows written before this release; the gateway seals them at start-up and empties it (libs/events SecretSealer).
 */
export class SealedSecrets1764020000000 implements MigrationInterface {
  name = 'SealedSecrets1764020000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sealing_keys (
        key_id text PRIMARY KEY,
        pool text NOT NULL,
        hsm_object_id text NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (pool, hsm_object_id)
      );
      GRANT SELECT, INSERT ON sealing_keys TO keybridge_app;
      ALTER TABLE webhook_endpoints
        ALTER COLUMN secret DROP NOT NULL,
        ADD COLUMN secret_sealed bytea,
        ADD COLUMN secret_key_id text REFERENCES sealing_keys (key_id),
        ADD CONSTRAINT webhook_secret_sealed_or_legacy CHECK ((secret IS NULL) <> (secret_sealed IS NULL) AND (secret_sealed IS NULL) = (secret_key_id IS NULL));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // Sealed secrets cannot be opened without the HSM: rows that have only a sealed secret are removed.
    await q.query(`
      DELETE FROM webhook_endpoints WHERE secret IS NULL;
      ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_secret_sealed_or_legacy, DROP COLUMN secret_key_id, DROP COLUMN secret_sealed,
        ALTER COLUMN secret SET NOT NULL;
      DROP TABLE sealing_keys;
    `);
  }
}
