import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C traceparent of the request that caused queued work, as re-wrap jobs have had since 1763950000000: key
 * events (their webhook deliveries' spans link to it) and vault migrations (each key's transfer span links to it).
 */
export class TraceContextForQueuedWork1764030000000 implements MigrationInterface {
  name = 'TraceContextForQueuedWork1764030000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN trace_parent text CHECK (trace_parent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$')`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`ALTER TABLE ${table} DROP COLUMN trace_parent`);
  }
}

const TABLES = ['key_events', 'migration_jobs'];
