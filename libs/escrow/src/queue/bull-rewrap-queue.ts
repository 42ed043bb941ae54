import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, redisConnectionOptions } from '@keybridge/platform';
import { Queue } from 'bullmq';
import { EscrowConfig } from '../escrow.config';
import { RewrapQueue, RewrapSlotJob, slotJobId } from './rewrap-queue.port';

/** The re-wrap queue on BullMQ; its Queue also feeds the bull-board page. Connects on first use. */
@Injectable()
export class BullRewrapQueue implements RewrapQueue, OnApplicationShutdown {
  readonly name: string;
  private instance: Queue<RewrapSlotJob> | undefined;

  constructor(
    private readonly app: AppConfig,
    config: EscrowConfig,
  ) {
    this.name = config.values.KEYBRIDGE_REWRAP_QUEUE;
  }

  queue(): Queue<RewrapSlotJob> {
    this.instance ??= new Queue<RewrapSlotJob>(this.name, { connection: redisConnectionOptions(this.app.values.REDIS_URL) });
    return this.instance;
  }

  async kick(jobId: string, generation: number, slots: number): Promise<void> {
    const jobs = Array.from({ length: slots }, (_, slot) => {
      const data: RewrapSlotJob = { jobId, generation, slot };
      return { name: 'slot', data, opts: { jobId: slotJobId(data), removeOnComplete: 1000, removeOnFail: 1000 } };
    });
    await this.queue().addBulk(jobs);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.instance?.close();
  }
}
