import { Processor, WorkerHost } from '@nestjs/bullmq';
import { EscrowConfig, RewrapSlotJob, RewrapSlotRunner, SlotSummary } from '@keybridge/escrow';
import { Job } from 'bullmq';

/** Read once at import: the decorator needs the queue name and concurrency before the module is built. */
const CONFIG = EscrowConfig.fromEnv();
export const REWRAP_QUEUE_NAME = CONFIG.values.KEYBRIDGE_REWRAP_QUEUE;

/**
 * One BullMQ job = one slot of a re-wrap job: it claims ranges from Postgres until none is left. Any worker can run
 * any slot; a slot whose worker dies is re-run by BullMQ's stalled-job check or replaced by the reconciler.
 */
@Processor(REWRAP_QUEUE_NAME, { concurrency: CONFIG.values.KEYBRIDGE_REWRAP_CONCURRENCY, maxStalledCount: 10 })
export class RewrapSlotProcessor extends WorkerHost {
  constructor(private readonly runner: RewrapSlotRunner) {
    super();
  }

  async process(job: Job<RewrapSlotJob>): Promise<SlotSummary> {
    return this.runner.run(job.data);
  }
}
