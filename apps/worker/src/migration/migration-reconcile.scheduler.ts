import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MigrationConfig, MigrationReconciler } from '@keybridge/transfer';
import { JitteredLoop } from '../scheduling/jittered-loop';

/** Runs the migration reconciler every KEYBRIDGE_MIGRATION_RECONCILE_SECONDS (with jitter). */
@Injectable()
export class MigrationReconcileScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: JitteredLoop;

  constructor(reconciler: MigrationReconciler, config: MigrationConfig) {
    this.loop = new JitteredLoop(MigrationReconcileScheduler.name, () => reconciler.tick(), () => config.values.KEYBRIDGE_MIGRATION_RECONCILE_SECONDS * 1000);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
