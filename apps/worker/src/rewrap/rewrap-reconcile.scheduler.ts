import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EscrowConfig, RewrapReconciler } from '@keybridge/escrow';

/** Runs the reconciler every KEYBRIDGE_REWRAP_RECONCILE_SECONDS (with jitter, so workers do not tick together). */
@Injectable()
export class RewrapReconcileScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RewrapReconcileScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly reconciler: RewrapReconciler,
    private readonly config: EscrowConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(1000 * Math.random());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.reconciler
        .tick()
        .catch((error: unknown) => this.logger.warn(`reconcile failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => {
          const base = this.config.values.KEYBRIDGE_REWRAP_RECONCILE_SECONDS * 1000;
          this.schedule(base * (0.75 + Math.random() / 2));
        });
    }, delayMs);
    this.timer.unref();
  }
}
