import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppConfig, asOverload, Clock, GroupCommit, NestedConnectionError } from '@keybridge/platform';
import { LedgerAppendMode, metricsEnabled, recordLedgerAppend, secondsSince } from '@keybridge/telemetry';
import { DataSource, EntityManager } from 'typeorm';
import { canonicalParts } from '../chain/hash-chain';
import { LedgerEntryInput, LedgerReceipt } from '../ledger-entry';
import { LedgerError, LedgerErrorCode } from '../ledger.errors';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { Queryable } from '../queryable';

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
  private readonly group: GroupCommit<LedgerEntryInput, LedgerReceipt>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    config: AppConfig,
    integrator: LedgerIntegrator,
  ) {
    // a single statement: its own transaction
    this.group = new GroupCommit((entries) => this.write(this.dataSource, entries, 'group'), config.values.KEYBRIDGE_LEDGER_BATCH_MAX, () => integrator.nudge());
  }

  /** Commits the entry on its own (group commit). Never call it inside a transaction: use appendWithin there. */
  async append(entry: LedgerEntryInput): Promise<LedgerReceipt> {
    try {
      return await this.group.submit(entry);
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  async appendWithin(manager: EntityManager, entries: LedgerEntryInput[]): Promise<LedgerReceipt[]> {
    try {
      return await this.write(manager, entries, 'transaction');
    } catch (e) {
      throw this.unavailable(e);
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

  /** One round trip: the entries go into the ledger queue (see queueInsert). */
  private async writeStatement(db: Queryable, entries: LedgerEntryInput[]): Promise<LedgerReceipt[]> {
    const insert = queueInsert(entries, this.clock.now(), 1);
    const rows = (await db.query(`${insert.sql} RETURNING queue_id`, insert.params)) as Array<{ queue_id: string }>;
    if (rows.length !== entries.length) throw new Error(`the ledger queue took ${rows.length} of ${entries.length} entries`);
    // RETURNING follows the order of the rows inserted, which is the order of unnest
    return rows.map((r) => ({ queueId: Number(r.queue_id) }));
  }

  private unavailable(cause: unknown): Error {
    // a programming error, not the ledger's: it must surface as what it is
    if (cause instanceof NestedConnectionError) return cause;
    const overload = asOverload(cause);
    if (overload) return overload;
    // The cause may name tables or roles but never carries entry contents; log it for operators, not callers.
    this.logger.error(`ledger append failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    return new LedgerError(LedgerErrorCode.LEDGER_UNAVAILABLE, 'the audit ledger could not record this access; nothing was returned');
  }
}

/**
 * The INSERT that queues entries for the integrator, with its parameters numbered from `first` (so that it can be
 * one data-modifying CTE of a larger statement: a state change and its entries in one round trip). The entries get
 * this process's time; the integrator gives them their seq, final time and hashes (migration 1764000000000). Each
 * entry's canonical text is stored split around those two values, so the integrator hashes exactly the bytes the
 * verifiers hash.
 */
export function queueInsert(entries: LedgerEntryInput[], now: Date, first: number): { sql: string; params: unknown[] } {
  const p = (i: number): string => `$${first + i}`;
  const parts = entries.map((e) => canonicalParts(e));
  return {
    sql: `INSERT INTO ledger_queue (queued_at, canonical_head, canonical_middle, canonical_tail, principal_id, vault, key_name,
            key_version, operation, outcome, error_code, request_id, trace_id, params_digest, details)
          SELECT ${p(0)}::timestamptz, * FROM unnest(${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::text[],
            ${p(6)}::text[], ${p(7)}::int[], ${p(8)}::text[], ${p(9)}::text[], ${p(10)}::text[], ${p(11)}::text[], ${p(12)}::text[],
            ${p(13)}::text[], ${p(14)}::jsonb[])`,
    params: [
      now.toISOString(),
      parts.map((x) => x.head),
      parts.map((x) => x.middle),
      parts.map((x) => x.tail),
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
  };
}
