import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';

export const HEALTH_QUEUE = 'keybridge-health';

/** Answers probe jobs so operators (and the worker's own start-up check) can see a worker consuming. */
@Processor(HEALTH_QUEUE)
export class HealthProbeProcessor extends WorkerHost {
  async process(job: Job<{ sentAt: string }>): Promise<{ pid: number; receivedAt: string; sentAt: string }> {
    return { pid: process.pid, receivedAt: new Date().toISOString(), sentAt: job.data.sentAt };
  }
}
