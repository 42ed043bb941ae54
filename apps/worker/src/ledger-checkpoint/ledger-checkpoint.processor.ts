import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { LedgerCheckpointer } from '@keybridge/ledger';
import { AppConfig } from '@keybridge/platform';
import { Queue } from 'bullmq';

export const CHECKPOINT_QUEUE = 'keybridge-ledger-checkpoint';
/** One scheduler for every worker process: BullMQ runs each tick once, whichever worker takes it. */
const SCHEDULER_ID = 'ledger-checkpoint';

/**
 * Signs a ledger checkpoint (RFC 9162 tree head) every KEYBRIDGE_CHECKPOINT_INTERVAL_MS when entries arrived since
 * the last one. Idempotent: the checkpointer re-checks the head under its lock, and state lives in Postgres.
 */
@Processor(CHECKPOINT_QUEUE)
export class LedgerCheckpointProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly checkpointer: LedgerCheckpointer,
    @InjectQueue(CHECKPOINT_QUEUE) private readonly queue: Queue,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: this.config.values.KEYBRIDGE_CHECKPOINT_INTERVAL_MS },
      { name: 'checkpoint', opts: { removeOnComplete: 20, removeOnFail: 50 } },
    );
  }

  async process(): Promise<{ treeSize: number }> {
    const cp = await this.checkpointer.checkpoint();
    return { treeSize: cp?.treeSize ?? 0 };
  }
}
