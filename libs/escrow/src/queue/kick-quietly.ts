import { Logger } from '@nestjs/common';
import { RewrapQueue } from './rewrap-queue.port';

const KICK_TIMEOUT_MS = 3_000;

/** Enqueues slot jobs without making the caller wait on Redis: Postgres holds the job, the reconciler re-kicks. */
export async function kickQuietly(queue: RewrapQueue, logger: Logger, jobId: string, generation: number, slots: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.kick(jobId, generation, slots),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from the queue within ${KICK_TIMEOUT_MS} ms`)), KICK_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    logger.warn(`rewrap job ${jobId}: could not enqueue its slots now (${error instanceof Error ? error.message : String(error)}); a worker will`);
  } finally {
    clearTimeout(timer);
  }
}
