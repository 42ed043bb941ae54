import { Processor, WorkerHost } from '@nestjs/bullmq';
import { EventsConfig, WebhookDeliverer, WebhookDeliveryJob } from '@keybridge/events';
import { Job, UnrecoverableError } from 'bullmq';

export const WEBHOOK_QUEUE_NAME = EventsConfig.fromEnv().values.KEYBRIDGE_WEBHOOK_QUEUE;

/**
 * One attempt per BullMQ attempt: a retryable failure throws, so BullMQ retries it with exponential backoff; a
 * permanent refusal (4xx) ends the job at once. The delivery log in Postgres records every attempt.
 */
@Processor(WEBHOOK_QUEUE_NAME, { concurrency: 8 })
export class WebhookDeliveryProcessor extends WorkerHost {
  constructor(private readonly deliverer: WebhookDeliverer) {
    super();
  }

  async process(job: Job<WebhookDeliveryJob>): Promise<void> {
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const outcome = await this.deliverer.attempt(job.data.deliveryId, last);
    if (outcome.ok) return;
    if (!outcome.retry || last) throw new UnrecoverableError(outcome.reason);
    throw new Error(outcome.reason);
  }
}
