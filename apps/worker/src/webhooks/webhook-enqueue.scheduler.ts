import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WebhookQueue } from '@keybridge/events';
import { JitteredLoop } from '../scheduling/jittered-loop';

const EVERY_MS = Math.max(200, Number(process.env.KEYBRIDGE_WEBHOOK_POLL_MS ?? 1000) || 1000);

/** Enqueues pending webhook deliveries (new ones, and ones the queue lost) about every second. */
@Injectable()
export class WebhookEnqueueScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: JitteredLoop;

  constructor(queue: WebhookQueue) {
    this.loop = new JitteredLoop(WebhookEnqueueScheduler.name, async () => void (await queue.enqueuePending()), () => EVERY_MS);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
