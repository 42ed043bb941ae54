import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LedgerWriter } from '@keybridge/ledger';
import { DataSource } from 'typeorm';
import { EscrowConfig } from '../escrow.config';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { kickQuietly } from '../queue/kick-quietly';
import { REWRAP_QUEUE, RewrapQueue } from '../queue/rewrap-queue.port';
import { jobEntry, jobFinishedEvent } from './rewrap-slot.runner';
import { EventRecorder } from '@keybridge/events';

/**
 * Postgres is the source of truth of jobs; Redis only carries wake-ups. Every worker runs this every
 * KEYBRIDGE_REWRAP_RECONCILE_SECONDS: a running job with claimable ranges but fewer live leases than its slots,
 * not kicked for a lease period (its queue entries were lost with a Redis restart, or their worker died), gets a
 * new kick generation (one process wins it) and fresh slot jobs; a running job with no range left is completed.
 */
@Injectable()
export class RewrapReconciler {
  private readonly logger = new Logger(RewrapReconciler.name);

  constructor(
    private readonly jobs: RewrapJobRepository,
    @Inject(REWRAP_QUEUE) private readonly queue: RewrapQueue,
    private readonly ledger: LedgerWriter,
    private readonly events: EventRecorder,
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: EscrowConfig,
  ) {}

  async tick(): Promise<void> {
    for (const id of await this.jobs.doneButRunning(this.queue.name)) {
      await this.db.transaction(async (manager) => {
        await this.jobs.find(id, manager, true);
        const completed = await this.jobs.completeIfDone(manager, id);
        if (completed) {
          await this.ledger.appendWithin(manager, [jobEntry(completed, 'rewrapJobCompleted', 'success', null)]);
          await this.events.record(manager, jobFinishedEvent(completed));
        }
      });
    }
    for (const kick of await this.jobs.takeKicks(this.queue.name, this.config.values.KEYBRIDGE_REWRAP_LEASE_SECONDS)) {
      this.logger.log(`rewrap job ${kick.id}: re-enqueueing ${kick.slots} slots (generation ${kick.generation})`);
      await kickQuietly(this.queue, this.logger, kick.id, kick.generation, kick.slots);
    }
  }
}
