import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, redisConnectionOptions } from '@keybridge/platform';
import { Queue } from 'bullmq';
import { MigrationConfig } from './migration.config';

export interface MigrationRunJob {
  jobId: string;
  generation: number;
}

const KICK_TIMEOUT_MS = 3_000;

/**
 * Wakes workers for a vault migration. Redis is the queue, not the source of truth: one BullMQ job per (migration,
 * generation), so enqueueing twice is a no-op, and a lost wake-up is repeated by the reconciler with a new generation.
 */
@Injectable()
export class MigrationQueue implements OnApplicationShutdown {
  readonly name: string;
  private readonly logger = new Logger(MigrationQueue.name);
  private instance: Queue<MigrationRunJob> | undefined;

  constructor(
    private readonly app: AppConfig,
    config: MigrationConfig,
  ) {
    this.name = config.values.KEYBRIDGE_MIGRATION_QUEUE;
  }

  queue(): Queue<MigrationRunJob> {
    this.instance ??= new Queue<MigrationRunJob>(this.name, { connection: redisConnectionOptions(this.app.values.REDIS_URL) });
    return this.instance;
  }

  /** Never makes the caller fail or wait long on Redis: Postgres holds the job and the reconciler re-kicks. */
  async kick(jobId: string, generation: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue().add('migrate', { jobId, generation }, { jobId: `migration-${jobId}-${generation}`, removeOnComplete: 1000, removeOnFail: 1000 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from the queue within ${KICK_TIMEOUT_MS} ms`)), KICK_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.logger.warn(`vault migration ${jobId}: could not enqueue it now (${error instanceof Error ? error.message : String(error)}); a worker will`);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.instance?.close();
  }
}
