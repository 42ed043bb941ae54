import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export type MigrationItemState = 'pending' | 'done' | 'failed' | 'skipped';

export interface MigrationJob {
  id: string;
  sourceVaultId: string;
  sourceVault: string;
  targetVaultId: string;
  targetVault: string;
  mode: 'copy' | 'move';
  state: 'running' | 'completed';
  queue: string;
  generation: number;
  principalId: string;
  requestId: string | null;
  /** W3C traceparent of the request that started the migration: each key's transfer span links to it. */
  traceParent: string | null;
  total: number;
  createdAt: Date;
  finishedAt: Date | null;
  counts: Record<MigrationItemState, number>;
}

export interface MigrationItem {
  keyName: string;
  state: MigrationItemState;
  versions: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  finishedAt: Date | null;
}

interface JobRow {
  id: string;
  source_vault_id: string;
  source_vault: string;
  target_vault_id: string;
  target_vault: string;
  mode: 'copy' | 'move';
  state: 'running' | 'completed';
  queue: string;
  generation: number;
  principal_id: string;
  request_id: string | null;
  trace_parent: string | null;
  total: number;
  created_at: Date;
  finished_at: Date | null;
  pending: number;
  done: number;
  failed: number;
  skipped: number;
}

/** What TypeORM's pg driver returns for UPDATE … RETURNING: the rows and the affected count. */
type UpdateResult<T> = [T[], number];

const JOB_SELECT = `
  SELECT j.*, s.name AS source_vault, t.name AS target_vault,
         (SELECT count(*) FILTER (WHERE state = 'pending') FROM migration_items i WHERE i.job_id = j.id)::int AS pending,
         (SELECT count(*) FILTER (WHERE state = 'done') FROM migration_items i WHERE i.job_id = j.id)::int AS done,
         (SELECT count(*) FILTER (WHERE state = 'failed') FROM migration_items i WHERE i.job_id = j.id)::int AS failed,
         (SELECT count(*) FILTER (WHERE state = 'skipped') FROM migration_items i WHERE i.job_id = j.id)::int AS skipped
    FROM migration_jobs j JOIN vaults s ON s.id = j.source_vault_id JOIN vaults t ON t.id = j.target_vault_id`;

const toJob = (r: JobRow): MigrationJob => ({
  id: r.id,
  sourceVaultId: r.source_vault_id,
  sourceVault: r.source_vault,
  targetVaultId: r.target_vault_id,
  targetVault: r.target_vault,
  mode: r.mode,
  state: r.state,
  queue: r.queue,
  generation: r.generation,
  principalId: r.principal_id,
  requestId: r.request_id,
  traceParent: r.trace_parent,
  total: r.total,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
  counts: { pending: r.pending, done: r.done, failed: r.failed, skipped: r.skipped },
});

/** Vault migrations: Postgres is their source of truth (Redis only wakes workers). */
@Injectable()
export class MigrationJobRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(
    manager: EntityManager,
    job: {
      id: string;
      sourceVaultId: string;
      targetVaultId: string;
      mode: 'copy' | 'move';
      queue: string;
      principalId: string;
      requestId: string;
      traceParent: string | null;
      now: Date;
    },
    items: Array<{ keyName: string; state: 'pending' | 'skipped'; errorCode: string | null; errorMessage: string | null }>,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO migration_jobs (id, source_vault_id, target_vault_id, mode, state, queue, principal_id, request_id, trace_parent, total, created_at, kicked_at)
       VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8, $9, $10, $10)`,
      [job.id, job.sourceVaultId, job.targetVaultId, job.mode, job.queue, job.principalId, job.requestId, job.traceParent, items.length, job.now],
    );
    if (items.length === 0) return;
    await manager.query(
      `INSERT INTO migration_items (job_id, key_name, state, error_code, error_message, finished_at)
       SELECT $1, k, s, c, m, CASE WHEN s = 'skipped' THEN $6::timestamptz END FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(k, s, c, m)`,
      [job.id, items.map((i) => i.keyName), items.map((i) => i.state), items.map((i) => i.errorCode), items.map((i) => i.errorMessage), job.now],
    );
  }

  async find(id: string, manager: EntityManager = this.db.manager): Promise<MigrationJob | undefined> {
    const rows = (await manager.query(`${JOB_SELECT} WHERE j.id = $1`, [id])) as JobRow[];
    return rows[0] && toJob(rows[0]);
  }

  async listForVault(vaultId: string, limit: number): Promise<MigrationJob[]> {
    const rows = (await this.db.query(`${JOB_SELECT} WHERE j.source_vault_id = $1 OR j.target_vault_id = $1 ORDER BY j.created_at DESC LIMIT $2`, [vaultId, limit])) as JobRow[];
    return rows.map(toJob);
  }

  async items(jobId: string): Promise<MigrationItem[]> {
    const rows = (await this.db.query(
      'SELECT key_name, state, versions, error_code, error_message, attempts, finished_at FROM migration_items WHERE job_id = $1 ORDER BY key_name',
      [jobId],
    )) as Array<{ key_name: string; state: MigrationItemState; versions: number | null; error_code: string | null; error_message: string | null; attempts: number; finished_at: Date | null }>;
    return rows.map((r) => ({
      keyName: r.key_name,
      state: r.state,
      versions: r.versions,
      errorCode: r.error_code,
      errorMessage: r.error_message,
      attempts: r.attempts,
      finishedAt: r.finished_at,
    }));
  }

  /** The next key nobody holds (pending, lease free), leased to the caller; its attempt is counted. */
  async claim(jobId: string, leaseSeconds: number): Promise<{ keyName: string; attempts: number } | undefined> {
    const rows = (await this.db.query(
      `UPDATE migration_items i SET lease_until = now() + make_interval(secs => $2), attempts = i.attempts + 1
        WHERE (i.job_id, i.key_name) = (
          SELECT job_id, key_name FROM migration_items
           WHERE job_id = $1 AND state = 'pending' AND (lease_until IS NULL OR lease_until < now())
           ORDER BY key_name LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING i.key_name, i.attempts`,
      [jobId, leaseSeconds],
    )) as UpdateResult<{ key_name: string; attempts: number }>;
    const [row] = rows[0];
    return row && { keyName: row.key_name, attempts: row.attempts };
  }

  /** Only a still-pending item is finished: a second finisher (a worker that lost its lease) changes nothing. */
  async finish(
    manager: EntityManager,
    jobId: string,
    keyName: string,
    outcome: { state: 'done' | 'failed' | 'skipped'; versions?: number | null; errorCode?: string | null; errorMessage?: string | null },
  ): Promise<boolean> {
    const rows = (await manager.query(
      `UPDATE migration_items SET state = $3, versions = $4, error_code = $5, error_message = $6, lease_until = NULL, finished_at = now()
        WHERE job_id = $1 AND key_name = $2 AND state = 'pending' RETURNING key_name`,
      [jobId, keyName, outcome.state, outcome.versions ?? null, outcome.errorCode ?? null, outcome.errorMessage ?? null],
    )) as UpdateResult<unknown>;
    return rows[0].length === 1;
  }

  /** Releases a lease so the item is claimable again at once (a retryable failure). */
  async release(jobId: string, keyName: string): Promise<void> {
    await this.db.query(`UPDATE migration_items SET lease_until = NULL WHERE job_id = $1 AND key_name = $2 AND state = 'pending'`, [jobId, keyName]);
  }

  /** Marks a running job with nothing pending completed; returns it when this call did. */
  async completeIfDone(manager: EntityManager, jobId: string): Promise<boolean> {
    const rows = (await manager.query(
      `UPDATE migration_jobs j SET state = 'completed', finished_at = now()
        WHERE j.id = $1 AND j.state = 'running' AND NOT EXISTS (SELECT 1 FROM migration_items i WHERE i.job_id = j.id AND i.state = 'pending')
        RETURNING j.id`,
      [jobId],
    )) as UpdateResult<unknown>;
    return rows[0].length === 1;
  }

  /** Running jobs of the queue with nothing pending (their last finisher died before completing them). */
  async doneButRunning(queue: string): Promise<string[]> {
    const rows = (await this.db.query(
      `SELECT j.id FROM migration_jobs j WHERE j.queue = $1 AND j.state = 'running'
          AND NOT EXISTS (SELECT 1 FROM migration_items i WHERE i.job_id = j.id AND i.state = 'pending')`,
      [queue],
    )) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  /**
   * Running jobs of the queue with a claimable key, not kicked for a lease period: each gets a new generation (one
   * process wins it), to be enqueued under a new BullMQ job id.
   */
  async takeKicks(queue: string, leaseSeconds: number): Promise<Array<{ id: string; generation: number }>> {
    const rows = (await this.db.query(
      `UPDATE migration_jobs j SET generation = j.generation + 1, kicked_at = now()
        WHERE j.queue = $1 AND j.state = 'running' AND (j.kicked_at IS NULL OR j.kicked_at < now() - make_interval(secs => $2))
          AND EXISTS (SELECT 1 FROM migration_items i WHERE i.job_id = j.id AND i.state = 'pending' AND (i.lease_until IS NULL OR i.lease_until < now()))
        RETURNING j.id, j.generation`,
      [queue, leaseSeconds],
    )) as UpdateResult<{ id: string; generation: number }>;
    return rows[0];
  }
}
