import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CleanupResult, CleanupTransportKeysCommand } from '@keybridge/byok';
import { Job, Queue } from 'bullmq';

export const TRANSPORT_KEY_CLEANUP_QUEUE = 'keybridge-transport-key-cleanup';
/** One scheduler for every worker process: BullMQ runs each tick once, whichever worker takes it. */
const SCHEDULER_ID = 'transport-key-cleanup';
/** How often expired, used-up and revoked transport keys are destroyed in their HSM. */
export const TRANSPORT_KEY_CLEANUP_EVERY_MS = 60_000;

/**
 * Destroys the HSM objects of transport keys that can no longer import. Idempotent (rows are marked destroyed under
 * a conditional update; destroying an absent object is a no-op), state in Postgres, any number of workers.
 */
@Processor(TRANSPORT_KEY_CLEANUP_QUEUE)
export class TransportKeyCleanupProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly commands: CommandBus,
    @InjectQueue(TRANSPORT_KEY_CLEANUP_QUEUE) private readonly queue: Queue,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: TRANSPORT_KEY_CLEANUP_EVERY_MS },
      { name: 'cleanup', opts: { removeOnComplete: 20, removeOnFail: 50 } },
    );
  }

  async process(job: Job): Promise<CleanupResult> {
    return this.commands.execute(new CleanupTransportKeysCommand(`job:${job.id ?? 'unknown'}`));
  }
}
