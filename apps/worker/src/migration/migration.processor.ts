import { Processor, WorkerHost } from '@nestjs/bullmq';
import { MigrationConfig, MigrationRunJob, MigrationRunner, MigrationRunSummary } from '@keybridge/transfer';
import { Job } from 'bullmq';

/** Read once at import: the decorator needs the queue name before the module is built. */
export const MIGRATION_QUEUE_NAME = MigrationConfig.fromEnv().values.KEYBRIDGE_MIGRATION_QUEUE;

/**
 * One BullMQ job = one wake-up of a vault migration: the runner claims keys from Postgres until none is left. Any
 * worker can run any migration, several at once (keys are leased one by one).
 */
@Processor(MIGRATION_QUEUE_NAME, { concurrency: 2, maxStalledCount: 10 })
export class MigrationProcessor extends WorkerHost {
  constructor(private readonly runner: MigrationRunner) {
    super();
  }

  async process(job: Job<MigrationRunJob>): Promise<MigrationRunSummary> {
    return this.runner.run(job.data.jobId);
  }
}
