import { Command } from '@nestjs/cqrs';

export interface CleanupResult {
  destroyed: number;
  failed: number;
}

/**
 * Destroys the HSM objects of transport keys that can no longer import (expired, used up, revoked) and marks them
 * destroyed. Run by the worker's repeatable job; idempotent, any number of workers.
 */
export class CleanupTransportKeysCommand extends Command<CleanupResult> {
  constructor(
    /** Request id for the ledger (the job id). */
    readonly runId: string,
    readonly batch = 100,
  ) {
    super();
  }
}
