import { Logger } from '@nestjs/common';

/**
 * Runs `tick` again and again, `intervalMs` (±25 %) after the previous run finished, so that workers started
 * together do not tick together. Failures are logged, never thrown; stop() waits for a run in progress.
 */
export class JitteredLoop {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    name: string,
    private readonly tick: () => Promise<void>,
    private readonly intervalMs: () => number,
  ) {
    this.logger = new Logger(name);
  }

  start(): void {
    this.schedule(1000 * Math.random());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((error: unknown) => this.logger.warn(`reconcile failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => this.schedule(this.intervalMs() * (0.75 + Math.random() / 2)));
    }, delayMs);
    this.timer.unref();
  }
}
