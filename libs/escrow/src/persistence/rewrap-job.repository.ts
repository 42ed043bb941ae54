import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Labels } from '../model/escrow-record';
import { ClaimedRange, RewrapFailure, RewrapFailureReason, RewrapJob, RewrapJobStatus, RewrapSelector, RewrapTarget } from '../model/rewrap-job';
import { EscrowAlgorithm } from '../model/wrapping';
import { depositLockKey, RewrapCandidate } from './escrow-record.repository';

interface JobRow {
  id: string;
  trace_parent: string | null;
  status: RewrapJobStatus;
  queue: string;
  created_by: string;
  source_vault_id: string;
  source_vault: string;
  source_key_id: string;
  source_key: string;
  from_versions: number[];
  below_version: number | null;
  owner: string | null;
  labels: Labels | null;
  target_vault_id: string;
  target_vault: string;
  target_key_id: string;
  target_key: string;
  target_version: number;
  target_algorithm: EscrowAlgorithm;
  batch_size: number;
  max_rate_per_second: number | null;
  slots: number;
  snapshot_seq: string;
  total: string;
  done: string;
  failed: string;
  skipped: string;
  active_ms: string;
  running_since: Date | null;
  error_code: string | null;
  kick_generation: number;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const toJob = (r: JobRow): RewrapJob => ({
  id: r.id,
  status: r.status,
  queue: r.queue,
  createdBy: r.created_by,
  source: {
    vaultId: r.source_vault_id,
    vault: r.source_vault,
    keyId: r.source_key_id,
    key: r.source_key,
    fromVersions: r.from_versions,
    belowVersion: r.below_version,
    owner: r.owner,
    labels: r.labels,
  },
  target: {
    vaultId: r.target_vault_id,
    vault: r.target_vault,
    keyId: r.target_key_id,
    key: r.target_key,
    version: r.target_version,
    algorithm: r.target_algorithm,
  },
  batchSize: r.batch_size,
  maxRatePerSecond: r.max_rate_per_second,
  slots: r.slots,
  snapshotSeq: Number(r.snapshot_seq),
  total: Number(r.total),
  done: Number(r.done),
  failed: Number(r.failed),
  skipped: Number(r.skipped),
  activeMs: Number(r.active_ms),
  runningSince: r.running_since,
  errorCode: r.error_code,
  kickGeneration: r.kick_generation,
  traceParent: r.trace_parent,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

export interface NewRewrapJob {
  id: string;
  queue: string;
  createdBy: string;
  source: RewrapSelector;
  target: RewrapTarget;
  batchSize: number;
  maxRatePerSecond: number | null;
  slots: number;
  rangeRecords: number;
  now: Date;
}

/** The selector as SQL over escrow_records r; parameters $2.. are sourceKeyId, fromVersions, owner, labels. */
const SELECTED = `r.purged_at IS NULL AND r.key_id = $2 AND r.key_version = ANY($3::int[]) AND ($4::text IS NULL OR r.owner = $4) AND ($5::jsonb IS NULL OR r.labels @> $5)`;

function selectorParams(s: RewrapSelector): unknown[] {
  return [s.keyId, s.fromVersions, s.owner, s.labels && JSON.stringify(s.labels)];
}

export interface BatchWrite {
  jobId: string;
  range: ClaimedRange;
  cursorSeq: number;
  leaseSeconds: number;
  attempted: number;
  target: RewrapTarget;
  sourceKeyId: string;
  moved: Array<{ id: string; fromVersion: number; wrapped: Buffer }>;
  failures: Array<{ id: string; seq: number; reason: RewrapFailureReason; message: string }>;
}

export interface BatchWritten {
  /** false: the job is no longer running or the range's claim was lost; nothing was written. */
  fenced: boolean;
  movedIds: string[];
  newFailures: number;
  resolved: number;
}

@Injectable()
export class RewrapJobRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Creates the job and its ranges. Takes the key's deposit lock exclusively, so that deposits in flight commit
   * first and every later deposit gets a seq above the snapshot. A selector that matches nothing makes a completed job.
   */
  async setTraceParent(manager: EntityManager, id: string, traceParent: string): Promise<void> {
    await manager.query('UPDATE rewrap_jobs SET trace_parent = $2 WHERE id = $1', [id, traceParent]);
  }

  async create(manager: EntityManager, j: NewRewrapJob): Promise<RewrapJob> {
    await manager.query(`SELECT pg_advisory_xact_lock(${depositLockKey('$1')})`, [j.source.keyId]);
    const params = selectorParams(j.source);
    const [stats] = (await manager.query(
      `SELECT count(*) AS total, COALESCE(max(r.seq), 0) AS max_seq FROM escrow_records r WHERE $1::int IS NOT NULL AND ${SELECTED}`,
      [0, ...params],
    )) as Array<{ total: string; max_seq: string }>;
    const total = Number(stats.total);
    const snapshot = Number(stats.max_seq);
    const ranges = Math.max(1, Math.min(1000, Math.ceil(total / j.rangeRecords)));
    const bounds = total === 0 ? [] : ((await manager.query(
      `SELECT b, min(seq) AS lo, max(seq) AS hi FROM (
         SELECT r.seq, ntile($1) OVER (ORDER BY r.seq) AS b FROM escrow_records r WHERE ${SELECTED} AND r.seq <= $6
       ) t GROUP BY b ORDER BY b`,
      [ranges, ...params, snapshot],
    )) as Array<{ b: number; lo: string; hi: string }>);
    const { source: s, target: t } = j;
    await manager.query(
      `INSERT INTO rewrap_jobs (id, status, queue, created_by, source_vault_id, source_vault, source_key_id, source_key, from_versions,
         below_version, owner, labels, target_vault_id, target_vault, target_key_id, target_key, target_version, target_algorithm,
         batch_size, max_rate_per_second, slots, snapshot_seq, total, running_since, kicked_at, created_at, updated_at, finished_at)
       VALUES ($1, CASE WHEN $22::bigint = 0 THEN 'completed' ELSE 'running' END, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, CASE WHEN $22::bigint = 0 THEN NULL ELSE $23::timestamptz END, $23, $23, $23,
         CASE WHEN $22::bigint = 0 THEN $23::timestamptz END)`,
      [
        j.id, j.queue, j.createdBy, s.vaultId, s.vault, s.keyId, s.key, s.fromVersions, s.belowVersion, s.owner, s.labels && JSON.stringify(s.labels),
        t.vaultId, t.vault, t.keyId, t.key, t.version, t.algorithm, j.batchSize, j.maxRatePerSecond, j.slots, snapshot, total, j.now,
      ],
    );
    // Ranges tile the seq axis without gaps: range k covers (hi of k-1, hi of k].
    let previous = 0;
    const rows = bounds.map((b, i) => {
      const row = { no: i, lo: previous + 1, hi: Number(b.hi) };
      previous = Number(b.hi);
      return row;
    });
    await manager.query(
      `INSERT INTO rewrap_job_ranges (job_id, range_no, kind, lo_seq, hi_seq, cursor_seq, status)
       SELECT $1, no, 'seq', lo, hi, lo - 1, 'pending' FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS u(no, lo, hi)`,
      [j.id, rows.map((r) => r.no), rows.map((r) => r.lo), rows.map((r) => r.hi)],
    );
    return (await this.find(j.id, manager)) as RewrapJob;
  }

  async find(id: string, manager: EntityManager = this.db.manager, lock = false): Promise<RewrapJob | undefined> {
    const rows = (await manager.query(`SELECT * FROM rewrap_jobs WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])) as JobRow[];
    return rows[0] && toJob(rows[0]);
  }

  /** Jobs whose source or target vault is one of `vaultIds`, newest first; keyset by (created_at, id). */
  async page(vaultIds: string[], status: RewrapJobStatus | null, after: { createdAt: string; id: string } | null, limit: number): Promise<RewrapJob[]> {
    const rows = (await this.db.query(
      `SELECT * FROM rewrap_jobs WHERE (source_vault_id = ANY($1::uuid[]) OR target_vault_id = ANY($1::uuid[]))
          AND ($2::text IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [vaultIds, status, after?.createdAt ?? null, after?.id ?? null, limit],
    )) as JobRow[];
    return rows.map(toJob);
  }

  async setStatus(
    manager: EntityManager,
    id: string,
    status: RewrapJobStatus,
    options: { errorCode?: string | null; kick?: boolean; finished?: boolean } = {},
  ): Promise<RewrapJob> {
    const rows = (await manager.query(
      `UPDATE rewrap_jobs SET status = $2,
          active_ms = active_ms + CASE WHEN running_since IS NULL THEN 0 ELSE (extract(epoch FROM now() - running_since) * 1000)::bigint END,
          running_since = CASE WHEN $2 = 'running' THEN now() ELSE NULL END,
          error_code = $3,
          kick_generation = kick_generation + CASE WHEN $4 THEN 1 ELSE 0 END,
          kicked_at = CASE WHEN $4 THEN now() ELSE kicked_at END,
          finished_at = CASE WHEN $5 THEN now() WHEN $2 = 'running' THEN NULL ELSE finished_at END,
          updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, status, options.errorCode ?? null, options.kick ?? false, options.finished ?? false],
    )) as [JobRow[], number];
    return toJob(rows[0][0]);
  }

  /** Releases every lease of the job (after pause/cancel the ranges are free for whoever resumes it). */
  async releaseAll(manager: EntityManager, id: string): Promise<void> {
    await manager.query('UPDATE rewrap_job_ranges SET claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE job_id = $1', [id]);
  }

  /**
   * A retry pass over the job's open failures: failures whose record left the selection meanwhile are resolved
   * (and no longer counted); a 'retry' range over the rest is added. Returns how many failures will be retried.
   */
  async addRetryRange(manager: EntityManager, job: RewrapJob): Promise<number> {
    const stale = (await manager.query(
      `UPDATE rewrap_failures f SET resolved_at = now() FROM escrow_records r
        WHERE f.job_id = $1 AND f.resolved_at IS NULL AND r.id = f.record_id AND NOT (${SELECTED}) RETURNING 1`,
      [job.id, ...selectorParams(job.source)],
    )) as [unknown[], number];
    const [open] = (await manager.query(
      'SELECT count(*) AS n, COALESCE(max(record_seq), 0) AS hi FROM rewrap_failures WHERE job_id = $1 AND resolved_at IS NULL',
      [job.id],
    )) as Array<{ n: string; hi: string }>;
    await manager.query('UPDATE rewrap_jobs SET failed = $2, skipped = skipped + $3, updated_at = now() WHERE id = $1', [job.id, Number(open.n), stale[1]]);
    if (Number(open.n) === 0) return 0;
    await manager.query(
      `INSERT INTO rewrap_job_ranges (job_id, range_no, kind, lo_seq, hi_seq, cursor_seq, status)
       SELECT $1, COALESCE(max(range_no), -1) + 1, 'retry', 1, $2, 0, 'pending' FROM rewrap_job_ranges WHERE job_id = $1`,
      [job.id, Number(open.hi)],
    );
    return Number(open.n);
  }

  async hasRetryPending(id: string): Promise<boolean> {
    const rows = (await this.db.query("SELECT 1 FROM rewrap_job_ranges WHERE job_id = $1 AND kind = 'retry' AND status = 'pending'", [id])) as unknown[];
    return rows.length > 0;
  }

  /**
   * Claims one pending range whose lease is free or expired (FOR UPDATE SKIP LOCKED: concurrent workers get
   * disjoint ranges), unless the job already has `slots` live leases.
   */
  async claimRange(jobId: string, token: string, worker: string, leaseSeconds: number, slots: number): Promise<ClaimedRange | undefined> {
    const rows = (await this.db.query(
      // MATERIALIZED: as a plain subquery in FROM, Postgres may run the LIMIT 1 once per outer row (a nested loop),
      // each run skipping the row just claimed, so that one statement claimed every pending range of the job.
      `WITH c AS MATERIALIZED (
         SELECT range_no FROM rewrap_job_ranges
          WHERE job_id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())
            AND (SELECT count(*) FROM rewrap_job_ranges l WHERE l.job_id = $1 AND l.status = 'pending' AND l.lease_until >= now()) < $5
          ORDER BY range_no LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE rewrap_job_ranges r SET claim_token = $2, claimed_by = $3, lease_until = now() + make_interval(secs => $4)
         FROM c WHERE r.job_id = $1 AND r.range_no = c.range_no
        RETURNING r.range_no, r.kind, r.lo_seq, r.hi_seq, r.cursor_seq`,
      [jobId, token, worker, leaseSeconds, slots],
    )) as [Array<{ range_no: number; kind: 'seq' | 'retry'; lo_seq: string; hi_seq: string; cursor_seq: string }>, number];
    const row = rows[0][0];
    return row && { rangeNo: row.range_no, kind: row.kind, loSeq: Number(row.lo_seq), hiSeq: Number(row.hi_seq), cursorSeq: Number(row.cursor_seq), token };
  }

  async renewLease(jobId: string, range: ClaimedRange, leaseSeconds: number): Promise<boolean> {
    const result = (await this.db.query(
      'UPDATE rewrap_job_ranges SET lease_until = now() + make_interval(secs => $4) WHERE job_id = $1 AND range_no = $2 AND claim_token = $3',
      [jobId, range.rangeNo, range.token, leaseSeconds],
    )) as [unknown[], number];
    return result[1] === 1;
  }

  async releaseRange(jobId: string, range: ClaimedRange): Promise<void> {
    await this.db.query(
      'UPDATE rewrap_job_ranges SET claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE job_id = $1 AND range_no = $2 AND claim_token = $3',
      [jobId, range.rangeNo, range.token],
    );
  }

  /** The next page of a claimed range: records still under the selector, after the cursor, up to the range's end. */
  async candidates(job: RewrapJob, range: ClaimedRange, afterSeq: number, limit: number): Promise<RewrapCandidate[]> {
    const sql =
      range.kind === 'seq'
        ? `SELECT r.id, r.seq, r.key_version, r.algorithm, r.wrapped FROM escrow_records r
            WHERE $1::uuid IS NOT NULL AND ${SELECTED} AND r.seq > $6 AND r.seq <= $7 ORDER BY r.seq LIMIT $8`
        : `SELECT r.id, r.seq, r.key_version, r.algorithm, r.wrapped FROM rewrap_failures f JOIN escrow_records r ON r.id = f.record_id
            WHERE f.job_id = $1 AND f.resolved_at IS NULL AND ${SELECTED} AND f.record_seq > $6 AND f.record_seq <= $7
            ORDER BY f.record_seq LIMIT $8`;
    const rows = (await this.db.query(sql, [job.id, ...selectorParams(job.source), afterSeq, range.hiSeq, limit])) as Array<{
      id: string;
      seq: string;
      key_version: number;
      algorithm: string;
      wrapped: Buffer;
    }>;
    return rows.map((r) => ({ id: r.id, seq: Number(r.seq), keyVersion: r.key_version, algorithm: r.algorithm, wrapped: r.wrapped }));
  }

  /**
   * One batch in one statement: the range's claim (fencing token) and the job's running state are checked, each
   * record is updated only if it is still under the wrapping it was read with (compare-and-set), failures are
   * recorded, counters move. Re-running a committed batch changes nothing. Locks the job row before the range row,
   * the order pause/cancel/finish use too (job row, then ranges), so they cannot deadlock with a batch.
   */
  async writeBatch(manager: EntityManager, b: BatchWrite): Promise<BatchWritten> {
    const rows = (await manager.query(
      `WITH fence AS (
         UPDATE rewrap_job_ranges SET cursor_seq = $4, processed = processed + $5, lease_until = now() + make_interval(secs => $6)
          WHERE job_id = $1 AND range_no = $2 AND claim_token = $3
            AND EXISTS (SELECT 1 FROM rewrap_jobs j WHERE j.id = $1 AND j.status = 'running' FOR UPDATE)
         RETURNING 1
       ), moved AS (
         UPDATE escrow_records r
            SET vault_id = $7, key_id = $8, key_version = $9, algorithm = $10, wrapped = u.wrapped,
                rewrap_count = r.rewrap_count + 1, last_job_id = $1, updated_at = now()
           FROM unnest($11::uuid[], $12::int[], $13::bytea[]) AS u(id, from_version, wrapped)
          WHERE EXISTS (SELECT 1 FROM fence) AND r.id = u.id AND r.key_id = $14 AND r.key_version = u.from_version
         RETURNING r.id
       ), new_failures AS (
         INSERT INTO rewrap_failures (job_id, record_id, record_seq, reason, message, failed_at)
         SELECT $1, f.id, f.seq, f.reason, f.message, now() FROM unnest($15::uuid[], $16::bigint[], $17::text[], $18::text[]) AS f(id, seq, reason, message)
          WHERE EXISTS (SELECT 1 FROM fence)
         ON CONFLICT (job_id, record_id) DO UPDATE
            SET attempts = rewrap_failures.attempts + 1, reason = EXCLUDED.reason, message = EXCLUDED.message, failed_at = EXCLUDED.failed_at
         RETURNING (xmax = 0) AS inserted
       ), resolved AS (
         UPDATE rewrap_failures SET resolved_at = now()
          WHERE job_id = $1 AND resolved_at IS NULL AND record_id IN (SELECT id FROM moved)
         RETURNING 1
       ), counted AS (
         UPDATE rewrap_jobs SET done = done + (SELECT count(*) FROM moved),
                failed = failed + (SELECT count(*) FROM new_failures WHERE inserted) - (SELECT count(*) FROM resolved),
                skipped = skipped + $19 - (SELECT count(*) FROM moved), updated_at = now()
          WHERE id = $1 AND EXISTS (SELECT 1 FROM fence)
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM fence)::int AS fenced, (SELECT count(*) FROM counted)::int AS counted,
              ARRAY(SELECT id::text FROM moved ORDER BY id) AS moved_ids,
              (SELECT count(*) FROM new_failures WHERE inserted)::int AS new_failures, (SELECT count(*) FROM resolved)::int AS resolved`,
      [
        b.jobId, b.range.rangeNo, b.range.token, b.cursorSeq, b.attempted, b.leaseSeconds,
        b.target.vaultId, b.target.keyId, b.target.version, b.target.algorithm,
        b.moved.map((m) => m.id), b.moved.map((m) => m.fromVersion), b.moved.map((m) => m.wrapped),
        b.sourceKeyId,
        b.failures.map((f) => f.id), b.failures.map((f) => f.seq), b.failures.map((f) => f.reason), b.failures.map((f) => f.message),
        b.moved.length,
      ],
    )) as Array<{ fenced: number; counted: number; moved_ids: string[]; new_failures: number; resolved: number }>;
    const r = rows[0];
    return { fenced: r.fenced === 1 && r.counted === 1, movedIds: r.moved_ids, newFailures: r.new_failures, resolved: r.resolved };
  }

  /**
   * Marks the claimed range done; when it was the job's last, the job completes. Locks the job row first, so two
   * workers finishing the last two ranges at once cannot both miss the other's range. Returns the job when it
   * completed now, null when the range is done but others remain, undefined when the claim was lost.
   */
  async finishRange(manager: EntityManager, jobId: string, range: ClaimedRange): Promise<RewrapJob | null | undefined> {
    await manager.query('SELECT 1 FROM rewrap_jobs WHERE id = $1 FOR UPDATE', [jobId]);
    const done = (await manager.query(
      `UPDATE rewrap_job_ranges SET status = 'done', claim_token = NULL, lease_until = NULL
        WHERE job_id = $1 AND range_no = $2 AND claim_token = $3 RETURNING 1`,
      [jobId, range.rangeNo, range.token],
    )) as [unknown[], number];
    if (done[1] !== 1) return undefined;
    return this.completeIfDone(manager, jobId);
  }

  /** Completes a running job none of whose ranges is pending (the caller holds the job row lock). */
  async completeIfDone(manager: EntityManager, jobId: string): Promise<RewrapJob | null> {
    const rows = (await manager.query(
      `UPDATE rewrap_jobs SET status = 'completed', finished_at = now(), updated_at = now(), running_since = NULL,
          active_ms = active_ms + CASE WHEN running_since IS NULL THEN 0 ELSE (extract(epoch FROM now() - running_since) * 1000)::bigint END
        WHERE id = $1 AND status = 'running' AND NOT EXISTS (SELECT 1 FROM rewrap_job_ranges WHERE job_id = $1 AND status <> 'done')
        RETURNING *`,
      [jobId],
    )) as [JobRow[], number];
    return rows[0][0] ? toJob(rows[0][0]) : null;
  }

  /**
   * Jobs of this queue that should be running but have fewer live leases than slots while claimable ranges wait,
   * and were not kicked for `graceSeconds`: their kick generation moves on (only one process wins each kick).
   */
  async takeKicks(queue: string, graceSeconds: number): Promise<Array<{ id: string; generation: number; slots: number }>> {
    const rows = (await this.db.query(
      `UPDATE rewrap_jobs j SET kick_generation = kick_generation + 1, kicked_at = now()
        WHERE j.queue = $1 AND j.status = 'running' AND j.kicked_at < now() - make_interval(secs => $2)
          AND EXISTS (SELECT 1 FROM rewrap_job_ranges r WHERE r.job_id = j.id AND r.status = 'pending' AND (r.lease_until IS NULL OR r.lease_until < now()))
          AND (SELECT count(*) FROM rewrap_job_ranges l WHERE l.job_id = j.id AND l.status = 'pending' AND l.lease_until >= now()) < j.slots
        RETURNING j.id, j.kick_generation, j.slots`,
      [queue, graceSeconds],
    )) as [Array<{ id: string; kick_generation: number; slots: number }>, number];
    return rows[0].map((r) => ({ id: r.id, generation: r.kick_generation, slots: r.slots }));
  }

  /** Running jobs of the queue with no pending range left (a worker died between its last batch and completion). */
  async doneButRunning(queue: string): Promise<string[]> {
    const rows = (await this.db.query(
      `SELECT id FROM rewrap_jobs j WHERE queue = $1 AND status = 'running'
          AND NOT EXISTS (SELECT 1 FROM rewrap_job_ranges r WHERE r.job_id = j.id AND r.status <> 'done')`,
      [queue],
    )) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  async failures(jobId: string, openOnly: boolean, afterSeq: number | null, limit: number): Promise<RewrapFailure[]> {
    const rows = (await this.db.query(
      `SELECT * FROM rewrap_failures WHERE job_id = $1 AND (NOT $2 OR resolved_at IS NULL) AND ($3::bigint IS NULL OR record_seq > $3)
        ORDER BY record_seq LIMIT $4`,
      [jobId, openOnly, afterSeq, limit],
    )) as Array<{
      job_id: string;
      record_id: string;
      record_seq: string;
      reason: RewrapFailureReason;
      message: string;
      attempts: number;
      failed_at: Date;
      resolved_at: Date | null;
    }>;
    return rows.map((r) => ({
      jobId: r.job_id,
      recordId: r.record_id,
      recordSeq: Number(r.record_seq),
      reason: r.reason,
      message: r.message,
      attempts: r.attempts,
      failedAt: r.failed_at,
      resolvedAt: r.resolved_at,
    }));
  }
}
