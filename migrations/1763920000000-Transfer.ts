import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cross-vault transfer, whole-vault migration jobs, security domains and backup/restore (libs/transfer).
 *
 * key_transfers: one row per completed transfer or restore into a vault, with the seq of its ledger entry on the
 * target vault, so a key's history follows it across vaults (TransferAwareKeyLineage).
 *
 * security_domains: the domain's RSA public key (backups are wrapped for it), the M-of-N parameters, the
 * recovery blob (the domain private key, RFC 5649-wrapped under the recovery secret that the custodians' shares
 * split) and a SHA-256 commitment per share, so a wrong share is named before anything is combined.
 * security_domain_pools: which pools hold the domain private key, and under which CKA_ID.
 *
 * migration_jobs / migration_items: whole-vault migrations; Postgres is the source of truth, Redis only wakes
 * workers. An item is claimed with a lease and finished in the same transaction as its key's rows.
 */
export class Transfer1763920000000 implements MigrationInterface {
  name = 'Transfer1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE key_transfers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('transfer', 'restore')),
        source_vault text NOT NULL,
        source_name text NOT NULL,
        target_vault text NOT NULL,
        target_name text NOT NULL,
        versions integer[] NOT NULL,
        mode text NOT NULL CHECK (mode IN ('copy', 'move', 'restore')),
        principal_id text,
        ledger_seq bigint NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX key_transfers_by_target ON key_transfers (target_vault, target_name, ledger_seq);
      CREATE INDEX key_transfers_by_source ON key_transfers (source_vault, source_name, ledger_seq);

      CREATE TABLE security_domains (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        quorum integer NOT NULL CHECK (quorum >= 2),
        custodian_count integer NOT NULL CHECK (custodian_count >= 3 AND custodian_count >= quorum AND custodian_count <= 255),
        custodian_key_hashes text[] NOT NULL,
        share_commitments text[] NOT NULL,
        public_jwk jsonb NOT NULL,
        recovery_blob bytea NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE security_domain_pools (
        domain_id uuid NOT NULL REFERENCES security_domains(id),
        pool text NOT NULL,
        hsm_object_id text NOT NULL,
        activated_at timestamptz NOT NULL,
        PRIMARY KEY (domain_id, pool)
      );
      ALTER TABLE vaults ADD COLUMN security_domain_id uuid REFERENCES security_domains(id);

      CREATE TABLE migration_jobs (
        id uuid PRIMARY KEY,
        source_vault_id uuid NOT NULL REFERENCES vaults(id),
        target_vault_id uuid NOT NULL REFERENCES vaults(id),
        mode text NOT NULL CHECK (mode IN ('copy', 'move')),
        state text NOT NULL CHECK (state IN ('running', 'completed')),
        queue text NOT NULL,
        generation integer NOT NULL DEFAULT 0,
        kicked_at timestamptz,
        principal_id text NOT NULL,
        request_id text,
        total integer NOT NULL,
        created_at timestamptz NOT NULL,
        finished_at timestamptz
      );
      CREATE TABLE migration_items (
        job_id uuid NOT NULL REFERENCES migration_jobs(id),
        key_name text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
        versions integer,
        error_code text,
        error_message text,
        lease_until timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        finished_at timestamptz,
        PRIMARY KEY (job_id, key_name)
      );
      CREATE INDEX migration_items_claimable ON migration_items (job_id, key_name) WHERE state = 'pending';
      CREATE INDEX migration_jobs_running ON migration_jobs (queue) WHERE state = 'running';

      GRANT SELECT, INSERT, UPDATE, DELETE ON key_transfers, security_domains, security_domain_pools, migration_jobs, migration_items TO keybridge_app;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE migration_items; DROP TABLE migration_jobs;
      ALTER TABLE vaults DROP COLUMN security_domain_id;
      DROP TABLE security_domain_pools; DROP TABLE security_domains; DROP TABLE key_transfers;
    `);
  }
}
