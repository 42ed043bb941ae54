import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MigrationConfig, MigrationReconciler } from '@keybridge/transfer';

/** Runs the migration reconciler every KEYBRIDGE_MIGRATION_RECONCILE_SECONDS (with jitter). */
@Injectable()
export class MigrationReconcileScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MigrationReconcileScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly reconciler: MigrationReconciler,
    private readonly config: MigrationConfig,
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
        .finally(() => this.schedule(this.config.values.KEYBRIDGE_MIGRATION_RECONCILE_SECONDS * 1000 * (0.75 + Math.random() / 2)));
    }, delayMs);
    this.timer.unref();
  }
}
