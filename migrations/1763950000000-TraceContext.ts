import { MigrationInterface, QueryRunner } from 'typeorm';

/** The W3C traceparent of the request that started a re-wrap job, so that worker spans can link to it. */
export class TraceContext1763950000000 implements MigrationInterface {
  name = 'TraceContext1763950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rewrap_jobs ADD COLUMN trace_parent text CHECK (trace_parent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE rewrap_jobs DROP COLUMN trace_parent');
  }
}
