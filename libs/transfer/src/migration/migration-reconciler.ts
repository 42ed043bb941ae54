import { Injectable, Logger } from '@nestjs/common';
import { MigrationConfig } from './migration.config';
import { MigrationJobRepository } from './migration-job.repository';
import { MigrationQueue } from './migration-queue';
import { MigrationRunner } from './migration-runner';

/**
 * Every worker runs this every KEYBRIDGE_MIGRATION_RECONCILE_SECONDS: a running migration with a claimable key, not
 * kicked for a lease period (its queue entry was lost with Redis, or its worker was killed), gets a new generation
 * and a fresh queue entry; one with nothing pending is completed.
 */
@Injectable()
export class MigrationReconciler {
  private readonly logger = new Logger(MigrationReconciler.name);

  constructor(
    private readonly jobs: MigrationJobRepository,
    private readonly queue: MigrationQueue,
    private readonly runner: MigrationRunner,
    private readonly config: MigrationConfig,
  ) {}

  async tick(): Promise<void> {
    for (const id of await this.jobs.doneButRunning(this.queue.name)) await this.runner.complete(id);
    for (const kick of await this.jobs.takeKicks(this.queue.name, this.config.values.KEYBRIDGE_MIGRATION_LEASE_SECONDS)) {
      this.logger.log(`vault migration ${kick.id}: re-enqueueing (generation ${kick.generation})`);
      await this.queue.kick(kick.id, kick.generation);
    }
  }
}
