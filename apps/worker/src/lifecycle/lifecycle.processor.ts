import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { LifecycleEvaluator, TickSummary } from '@keybridge/lifecycle';
import { Queue } from 'bullmq';

export const LIFECYCLE_QUEUE = 'keybridge-lifecycle';
const SCHEDULER_ID = 'lifecycle';
const EVERY_MS = Math.max(1000, Number(process.env.KEYBRIDGE_LIFECYCLE_INTERVAL_MS ?? 30_000) || 30_000);

/**
 * Evaluates rotation policies and expiries every KEYBRIDGE_LIFECYCLE_INTERVAL_MS (30 s) — a BullMQ job scheduler, so
 * each tick runs in one worker; the evaluator is safe to run in several at once anyway (row locks, dedupe keys).
 */
@Processor(LIFECYCLE_QUEUE)
export class LifecycleProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly evaluator: LifecycleEvaluator,
    @InjectQueue(LIFECYCLE_QUEUE) private readonly queue: Queue,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(SCHEDULER_ID, { every: EVERY_MS }, { name: 'evaluate', opts: { removeOnComplete: 20, removeOnFail: 50 } });
  }

  process(): Promise<TickSummary> {
    return this.evaluator.tick();
  }
}
