import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppConfig, asOverload, assertNoConnectionHeld, Clock, OverloadError, outsideTransaction } from '@keybridge/platform';
import { LedgerAppendMode, metricsEnabled, recordLedgerAppend, secondsSince } from '@keybridge/telemetry';
import { DataSource, EntityManager } from 'typeorm';
import { canonicalParts } from '../chain/hash-chain';
import { LedgerEntryInput, LedgerReceipt } from '../ledger-entry';
import { LedgerError, LedgerErrorCode } from '../ledger.errors';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { Queryable } from '../queryable';

/**
 * A statement the server refused (SQLSTATE), as opposed to a connection lost or a server shutting down, where the
 * outcome of a COMMIT in flight is unknown (classes 08 connection, 53 resources, 57 operator intervention, 58 system).
 */
function refusedByDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57|58|XX)/.test(code);
}

interface Pending {
  entry: LedgerEntryInput;
  resolve: (receipt: LedgerReceipt) => void;
  reject: (error: Error) => void;
}

/**
 * Appends ledger entries to the ledger queue, from which the integrator hashes them into the chain. `append`
 * group-commits: entries that arrive while a batch is being written go into the next batch, so a busy process writes
 * one statement (one round trip, one transaction) per batch, not per entry. `appendWithin` writes in the caller's
 * transaction, for state changes that must commit together with their entry. Neither takes a lock: writers of every
 * process commit in parallel (docs/ledger.md).
 */
@Injectable()
export class LedgerWriter {
  private readonly logger = new Logger(LedgerWriter.name);
  private readonly queue: Pending[] = [];
  private flushing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly integrator: LedgerIntegrator,
  ) {}

  /** Commits the entry on its own (group commit). Never call it inside a transaction: use appendWithin there. */
  append(entry: LedgerEntryInput): Promise<LedgerReceipt> {
    assertNoConnectionHeld('a ledger append waits for a connection of its own');
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // the flush serves every caller queued by then, not only the one that happened to start it
        outsideTransaction(() => setImmediate(() => void this.flush()));
      }
    });
  }

  async appendWithin(manager: EntityManager, entries: LedgerEntryInput[]): Promise<LedgerReceipt[]> {
    try {
      return await this.write(manager, entries, 'transaction');
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.config.values.KEYBRIDGE_LEDGER_BATCH_MAX);
        try {
          // a single statement: its own transaction
          const receipts = await this.write(this.dataSource, batch.map((p) => p.entry), 'group');
          batch.forEach((p, i) => p.resolve(receipts[i]));
        } catch (e) {
          // One entry the database refuses must not fail the operations batched with it: retry them one by one.
          // Not after a lost connection, though: the batch may have committed without our hearing of it, and a
          // retry would record its entries twice. Those operations fail (LEDGER_UNAVAILABLE) instead.
          if (batch.length > 1 && refusedByDatabase(e)) for (const pending of batch) await this.writeAlone(pending);
          else {
            const error = this.unavailable(e);
            batch.forEach((p) => p.reject(error));
          }
        }
      }
    } finally {
      this.flushing = false;
      this.integrator.nudge();
    }
  }

  private async writeAlone(pending: Pending): Promise<void> {
    try {
      const [receipt] = await this.write(this.dataSource, [pending.entry], 'group');
      pending.resolve(receipt);
    } catch (e) {
      pending.reject(this.unavailable(e));
    }
  }

  /** One append statement, timed for the ledger metrics (entries per statement, latency). */
  private async write(db: Queryable, entries: LedgerEntryInput[], mode: LedgerAppendMode): Promise<LedgerReceipt[]> {
    if (!metricsEnabled()) return this.writeStatement(db, entries);
    const started = performance.now();
    let ok = false;
    try {
      const receipts = await this.writeStatement(db, entries);
      ok = true;
      return receipts;
    } finally {
      recordLedgerAppend(mode, entries.length, ok, secondsSince(started));
    }
  }

  /**
   * One round trip: the entries go into the ledger queue with this process's time; the integrator gives them their
   * seq, final time and hashes (see the LedgerQueue migration). Each entry's canonical text is stored split around
   * those two values, so the integrator hashes exactly the bytes the verifiers hash.
   */
  private async writeStatement(db: Queryable, entries: LedgerEntryInput[]): Promise<LedgerReceipt[]> {
    const parts = entries.map((e) => canonicalParts(e));
    const rows = (await db.query(
      `INSERT INTO ledger_queue (queued_at, canonical_head, canonical_middle, canonical_tail, principal_id, vault, key_name,
          key_version, operation, outcome, error_code, request_id, trace_id, params_digest, details)
       SELECT $1::timestamptz, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
          $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::jsonb[])
       RETURNING queue_id`,
      [
        this.clock.now().toISOString(),
        parts.map((p) => p.head),
        parts.map((p) => p.middle),
        parts.map((p) => p.tail),
        entries.map((e) => e.principalId),
        entries.map((e) => e.vault),
        entries.map((e) => e.keyName),
        entries.map((e) => e.keyVersion),
        entries.map((e) => e.operation),
        entries.map((e) => e.outcome),
        entries.map((e) => e.errorCode),
        entries.map((e) => e.requestId),
        entries.map((e) => e.traceId),
        entries.map((e) => e.paramsDigest),
        entries.map((e) => JSON.stringify(e.details)),
      ],
    )) as Array<{ queue_id: string }>;
    if (rows.length !== entries.length) throw new Error(`the ledger queue took ${rows.length} of ${entries.length} entries`);
    // RETURNING follows the order of the rows inserted, which is the order of unnest
    return rows.map((r) => ({ queueId: Number(r.queue_id) }));
  }

  private unavailable(cause: unknown): LedgerError | OverloadError {
    const overload = asOverload(cause);
    if (overload) return overload;
    // The cause may name tables or roles but never carries entry contents; log it for operators, not callers.
    this.logger.error(`ledger append failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    return new LedgerError(LedgerErrorCode.LEDGER_UNAVAILABLE, 'the audit ledger could not record this access; nothing was returned');
  }
}
