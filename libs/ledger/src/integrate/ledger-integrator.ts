import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppConfig, outsideTransaction } from '@keybridge/platform';
import { metricsEnabled, recordLedgerIntegration, secondsSince } from '@keybridge/telemetry';
import { DataSource } from 'typeorm';

/** `ledger_integrate` answers -1 when another process holds the ledger lock. */
const BUSY = -1;
/**
 * While another process integrates, try again a few times (it may have read the queue before our entries
 * committed); after that the timer's next run picks them up.
 */
const BUSY_RETRY_MS = 5;
const BUSY_RETRIES = 10;

/**
 * Moves committed entries from the ledger queue into the hash chain (migration 1764000000000). Every gateway and
 * worker runs one; at any moment at most one of them integrates (the ledger lock, taken with try-lock), and each
 * call integrates everything committed before it in batches, so whichever process gets the lock catches up for all.
 *
 * Runs when this process queued entries (`nudge`) and on a timer, which also picks up entries of processes that died
 * before integrating. Readers that must see every entry committed before them (compliance queries, checkpoints,
 * verification) call `settle`, which waits for the lock instead of skipping.
 */
@Injectable()
export class LedgerIntegrator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LedgerIntegrator.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.values.KEYBRIDGE_LEDGER_INTEGRATE_INTERVAL_MS;
    if (!this.enabled || interval === 0) return;
    this.timer = setInterval(() => this.nudge(), interval);
    this.timer.unref();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** No more background runs; waits for the one in progress (call before closing the data source). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** False in processes configured not to integrate in the background (KEYBRIDGE_LEDGER_INTEGRATE=off). */
  private get enabled(): boolean {
    return this.config.values.KEYBRIDGE_LEDGER_INTEGRATE === 'on';
  }

  /** Integrate soon; calls while a run is in progress make it run once more. Never throws. */
  nudge(): void {
    if (this.stopped || !this.enabled) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = outsideTransaction(() => this.drain()).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.nudge();
      }
    });
  }

  /**
   * Waits until every entry committed before this call is in the chain (taking the ledger lock in turn with other
   * integrators). Throws if the database does.
   */
  async settle(): Promise<void> {
    while ((await this.integrate(true)) === this.batch) {
      // a full batch: there may be more
    }
  }

  private get batch(): number {
    return this.config.values.KEYBRIDGE_LEDGER_INTEGRATE_BATCH;
  }

  private async drain(): Promise<void> {
    try {
      for (let busy = 0; busy <= BUSY_RETRIES; ) {
        const n = await this.integrate(false);
        if (n === BUSY) {
          busy++;
          await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
        } else if (n < this.batch) return;
      }
    } catch (error) {
      // The entries stay queued (durable, committed with their state); the timer tries again.
      this.logger.warn(`ledger integration failed, will retry: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async integrate(wait: boolean): Promise<number> {
    const started = metricsEnabled() ? performance.now() : 0;
    const rows = (await this.db.query('SELECT ledger_integrate($1, $2) AS n', [this.batch, wait])) as Array<{ n: number }>;
    const n = rows[0].n;
    if (started && n > 0) recordLedgerIntegration(n, secondsSince(started));
    return n;
  }
}
