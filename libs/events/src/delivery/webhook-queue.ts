import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, redisConnectionOptions } from '@keybridge/platform';
import { Queue } from 'bullmq';
import { EventsConfig } from '../events.config';
import { WebhookRepository } from '../persistence/webhook.repository';

export interface WebhookDeliveryJob {
  deliveryId: string;
}

/**
 * BullMQ carries the attempts and their exponential backoff; Postgres holds the deliveries. The reconciler (every
 * worker) enqueues pending deliveries by id, so enqueueing twice is a no-op and deliveries lost with Redis are
 * enqueued again once they are stale.
 */
@Injectable()
export class WebhookQueue implements OnApplicationShutdown {
  readonly name: string;
  private instance: Queue<WebhookDeliveryJob> | undefined;

  constructor(
    private readonly app: AppConfig,
    private readonly config: EventsConfig,
    private readonly webhooks: WebhookRepository,
  ) {
    this.name = config.values.KEYBRIDGE_WEBHOOK_QUEUE;
  }

  queue(): Queue<WebhookDeliveryJob> {
    this.instance ??= new Queue<WebhookDeliveryJob>(this.name, { connection: redisConnectionOptions(this.app.values.REDIS_URL) });
    return this.instance;
  }

  async enqueuePending(): Promise<number> {
    const { KEYBRIDGE_WEBHOOK_ATTEMPTS: attempts, KEYBRIDGE_WEBHOOK_BACKOFF_MS: delay } = this.config.values;
    // Stale: longer than every attempt and backoff could take.
    const staleSeconds = Math.ceil((delay * 2 ** attempts) / 1000) + 60;
    const ids = await this.webhooks.takeUnqueued(staleSeconds, 500);
    if (ids.length === 0) return 0;
    await this.queue().addBulk(
      ids.map((deliveryId) => ({
        name: 'deliver',
        data: { deliveryId },
        opts: { jobId: `delivery-${deliveryId}-${Date.now()}`, attempts, backoff: { type: 'exponential', delay }, removeOnComplete: 1000, removeOnFail: 1000 },
      })),
    );
    return ids.length;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.instance?.close();
  }
}
