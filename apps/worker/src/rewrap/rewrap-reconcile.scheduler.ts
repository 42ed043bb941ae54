import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EscrowConfig, RewrapReconciler } from '@keybridge/escrow';
import { JitteredLoop } from '../scheduling/jittered-loop';

/** Runs the reconciler every KEYBRIDGE_REWRAP_RECONCILE_SECONDS (with jitter, so workers do not tick together). */
@Injectable()
export class RewrapReconcileScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: JitteredLoop;

  constructor(reconciler: RewrapReconciler, config: EscrowConfig) {
    this.loop = new JitteredLoop(RewrapReconcileScheduler.name, () => reconciler.tick(), () => config.values.KEYBRIDGE_REWRAP_RECONCILE_SECONDS * 1000);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
