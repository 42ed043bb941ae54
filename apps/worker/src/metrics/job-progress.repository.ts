import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export const REWRAP_JOB_STATUSES = ['running', 'paused', 'cancelled', 'completed', 'failed'] as const;
export const REWRAP_RECORD_STATES = ['total', 'done', 'failed', 'skipped'] as const;
export const MIGRATION_JOB_STATES = ['running', 'completed'] as const;
export const MIGRATION_ITEM_STATES = ['pending', 'done', 'failed', 'skipped'] as const;

export interface JobProgress {
  rewrapJobs: Record<(typeof REWRAP_JOB_STATUSES)[number], number>;
  /** Summed over the open (running or paused) re-wrap jobs. */
  rewrapRecords: Record<(typeof REWRAP_RECORD_STATES)[number], number>;
  migrationJobs: Record<(typeof MIGRATION_JOB_STATES)[number], number>;
  /** Keys of the running migrations. */
  migrationItems: Record<(typeof MIGRATION_ITEM_STATES)[number], number>;
}

function counts<K extends string>(keys: readonly K[], rows: Array<{ key: string; n: string | number }>): Record<K, number> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const row of rows) if ((keys as readonly string[]).includes(row.key)) out[row.key as K] = Number(row.n);
  return out;
}

/** Aggregates of the job tables for the worker's progress gauges (never per job: ids are not metric labels). */
@Injectable()
export class JobProgressRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async progress(): Promise<JobProgress> {
    const rewrapJobs = (await this.db.query('SELECT status AS key, count(*) AS n FROM rewrap_jobs GROUP BY status')) as Array<{ key: string; n: string }>;
    const [open] = (await this.db.query(
      `SELECT coalesce(sum(total), 0) AS total, coalesce(sum(done), 0) AS done, coalesce(sum(failed), 0) AS failed,
              coalesce(sum(skipped), 0) AS skipped
         FROM rewrap_jobs WHERE status IN ('running', 'paused')`,
    )) as Array<Record<string, string>>;
    const migrationJobs = (await this.db.query('SELECT state AS key, count(*) AS n FROM migration_jobs GROUP BY state')) as Array<{ key: string; n: string }>;
    const migrationItems = (await this.db.query(
      `SELECT i.state AS key, count(*) AS n FROM migration_items i JOIN migration_jobs j ON j.id = i.job_id
        WHERE j.state = 'running' GROUP BY i.state`,
    )) as Array<{ key: string; n: string }>;
    return {
      rewrapJobs: counts(REWRAP_JOB_STATUSES, rewrapJobs),
      rewrapRecords: counts(REWRAP_RECORD_STATES, Object.entries(open ?? {}).map(([key, n]) => ({ key, n }))),
      migrationJobs: counts(MIGRATION_JOB_STATES, migrationJobs),
      migrationItems: counts(MIGRATION_ITEM_STATES, migrationItems),
    };
  }
}
