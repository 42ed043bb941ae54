import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Escrowed data keys and re-wrap jobs (libs/escrow).
 *
 * escrow_records: one wrapped data key per row, with its current wrapping (vault, key, version, algorithm). `seq`
 * orders records for keyset pages and job ranges; a job's snapshot is "seq <= snapshot_seq". fillfactor 80 leaves
 * room on each page so that re-wrapping under a new version of the same key is a HOT update (no index column
 * changes). No foreign key to keys: purging a key leaves its records unreleasable rather than failing the purge.
 *
 * rewrap_jobs / rewrap_job_ranges / rewrap_failures: the source of truth of every job (Redis only wakes workers).
 * Ranges are claimed with FOR UPDATE SKIP LOCKED and a lease; a batch commits only while its claim token holds.
 */
export class Escrow1763910000000 implements MigrationInterface {
  name = 'Escrow1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE escrow_records (
        id uuid PRIMARY KEY,
        seq bigserial NOT NULL UNIQUE,
        vault_id uuid NOT NULL REFERENCES vaults(id),
        key_id uuid NOT NULL,
        key_version integer NOT NULL CHECK (key_version >= 1),
        algorithm text NOT NULL,
        wrapped bytea NOT NULL CHECK (length(wrapped) BETWEEN 16 AND 1024),
        dek_bits integer CHECK (dek_bits IN (128, 192, 256)),
        owner text NOT NULL CHECK (length(owner) BETWEEN 1 AND 256),
        labels jsonb NOT NULL DEFAULT '{}',
        origin text NOT NULL CHECK (origin IN ('generated', 'deposited')),
        rewrap_count integer NOT NULL DEFAULT 0,
        last_job_id uuid,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      ) WITH (fillfactor = 80);
      CREATE INDEX escrow_records_by_key ON escrow_records (key_id, seq);
      CREATE INDEX escrow_records_by_vault ON escrow_records (vault_id, seq);

      CREATE TABLE rewrap_jobs (
        id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('running', 'paused', 'cancelled', 'completed', 'failed')),
        queue text NOT NULL,
        created_by text NOT NULL,
        source_vault_id uuid NOT NULL REFERENCES vaults(id),
        source_vault text NOT NULL,
        source_key_id uuid NOT NULL,
        source_key text NOT NULL,
        from_versions integer[] NOT NULL,
        below_version integer,
        owner text,
        labels jsonb,
        target_vault_id uuid NOT NULL REFERENCES vaults(id),
        target_vault text NOT NULL,
        target_key_id uuid NOT NULL,
        target_key text NOT NULL,
        target_version integer NOT NULL,
        target_algorithm text NOT NULL,
        batch_size integer NOT NULL CHECK (batch_size BETWEEN 1 AND 10000),
        max_rate_per_second integer CHECK (max_rate_per_second >= 1),
        snapshot_seq bigint NOT NULL,
        total bigint NOT NULL,
        done bigint NOT NULL DEFAULT 0,
        failed bigint NOT NULL DEFAULT 0,
        skipped bigint NOT NULL DEFAULT 0,
        active_ms bigint NOT NULL DEFAULT 0,
        running_since timestamptz,
        slots integer NOT NULL CHECK (slots >= 1),
        error_code text,
        kick_generation integer NOT NULL DEFAULT 0,
        kicked_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz
      );
      CREATE INDEX rewrap_jobs_open ON rewrap_jobs (queue, status) WHERE status IN ('running', 'paused');
      CREATE INDEX rewrap_jobs_by_source ON rewrap_jobs (source_vault_id, created_at);

      CREATE TABLE rewrap_job_ranges (
        job_id uuid NOT NULL REFERENCES rewrap_jobs(id) ON DELETE CASCADE,
        range_no integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('seq', 'retry')),
        lo_seq bigint NOT NULL,
        hi_seq bigint NOT NULL,
        cursor_seq bigint NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'done')),
        claim_token uuid,
        claimed_by text,
        lease_until timestamptz,
        processed bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, range_no)
      );

      CREATE TABLE rewrap_failures (
        job_id uuid NOT NULL REFERENCES rewrap_jobs(id) ON DELETE CASCADE,
        record_id uuid NOT NULL,
        record_seq bigint NOT NULL,
        reason text NOT NULL,
        message text NOT NULL,
        attempts integer NOT NULL DEFAULT 1,
        failed_at timestamptz NOT NULL,
        resolved_at timestamptz,
        PRIMARY KEY (job_id, record_id)
      );
      CREATE INDEX rewrap_failures_open ON rewrap_failures (job_id, record_seq) WHERE resolved_at IS NULL;

      GRANT SELECT, INSERT, UPDATE ON escrow_records, rewrap_jobs, rewrap_job_ranges, rewrap_failures TO keybridge_app;
      GRANT USAGE, SELECT ON SEQUENCE escrow_records_seq_seq TO keybridge_app;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rewrap_failures; DROP TABLE rewrap_job_ranges; DROP TABLE rewrap_jobs; DROP TABLE escrow_records;');
  }
}
