import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EscrowPurger } from '@keybridge/escrow';
import { JitteredLoop } from '../scheduling/jittered-loop';

const EVERY_MS = Math.max(1000, Number(process.env.KEYBRIDGE_ESCROW_PURGE_INTERVAL_MS ?? 60_000) || 60_000);

/** Purges the wrapped bytes of expired escrow records every KEYBRIDGE_ESCROW_PURGE_INTERVAL_MS (60 s). */
@Injectable()
export class EscrowPurgeScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: JitteredLoop;

  constructor(purger: EscrowPurger) {
    this.loop = new JitteredLoop(EscrowPurgeScheduler.name, async () => void (await purger.purge()), () => EVERY_MS);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
