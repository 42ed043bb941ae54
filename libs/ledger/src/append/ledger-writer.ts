import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppConfig, Clock } from '@keybridge/platform';
import { DataSource, EntityManager } from 'typeorm';
import { canonicalEntry, chainHash, GENESIS_HASH } from '../chain/hash-chain';
import { LedgerEntryInput, LedgerReceipt } from '../ledger-entry';
import { LedgerError, LedgerErrorCode } from '../ledger.errors';

/** One lock serialises appends from every process, so the chain stays linear (no fork, no gap). */
const LEDGER_LOCK_KEY = 7433298001;

interface Pending {
  entry: LedgerEntryInput;
  resolve: (receipt: LedgerReceipt) => void;
  reject: (error: Error) => void;
}

interface Query {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Appends ledger entries. `append` group-commits: entries that arrive while a batch is being written go into the
 * next batch, so a busy process writes one transaction per batch instead of one per entry. `appendWithin` writes in
 * the caller's transaction, for state changes that must commit together with their entry.
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
  ) {}

  append(entry: LedgerEntryInput): Promise<LedgerReceipt> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  async appendWithin(manager: EntityManager, entries: LedgerEntryInput[]): Promise<LedgerReceipt[]> {
    try {
      return await this.write(manager, entries);
    } catch (e) {
      throw this.unavailable(e);
    }
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.config.values.KEYBRIDGE_LEDGER_BATCH_MAX);
        try {
          const receipts = await this.dataSource.transaction((manager) => this.write(manager, batch.map((p) => p.entry)));
          batch.forEach((p, i) => p.resolve(receipts[i]));
        } catch (e) {
          if (batch.length === 1) batch[0].reject(this.unavailable(e));
          // One entry the database refuses must not fail the operations batched with it: retry them one by one.
          else for (const pending of batch) await this.writeAlone(pending);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeAlone(pending: Pending): Promise<void> {
    try {
      const [receipt] = await this.dataSource.transaction((manager) => this.write(manager, [pending.entry]));
      pending.resolve(receipt);
    } catch (e) {
      pending.reject(this.unavailable(e));
    }
  }

  private async write(db: Query, entries: LedgerEntryInput[]): Promise<LedgerReceipt[]> {
    await db.query('SELECT pg_advisory_xact_lock($1)', [LEDGER_LOCK_KEY]);
    const head = (await db.query('SELECT seq, entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1')) as Array<{
      seq: string;
      entry_hash: Buffer;
    }>;
    let seq = head.length ? Number(head[0].seq) : 0;
    let prev = head.length ? head[0].entry_hash : GENESIS_HASH;
    const recordedAt = this.clock.now();
    const rows = entries.map((entry) => {
      seq += 1;
      const hash = chainHash(prev, canonicalEntry(seq, recordedAt, entry));
      const row = { seq, entry, prevHash: prev, entryHash: hash };
      prev = hash;
      return row;
    });
    await db.query(
      `INSERT INTO ledger_entries (seq, recorded_at, principal_id, vault, key_name, key_version, operation, outcome,
         error_code, request_id, trace_id, params_digest, details, prev_hash, entry_hash)
       SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
         $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::jsonb[], $14::bytea[], $15::bytea[])`,
      [
        rows.map((r) => r.seq),
        rows.map(() => recordedAt.toISOString()),
        rows.map((r) => r.entry.principalId),
        rows.map((r) => r.entry.vault),
        rows.map((r) => r.entry.keyName),
        rows.map((r) => r.entry.keyVersion),
        rows.map((r) => r.entry.operation),
        rows.map((r) => r.entry.outcome),
        rows.map((r) => r.entry.errorCode),
        rows.map((r) => r.entry.requestId),
        rows.map((r) => r.entry.traceId),
        rows.map((r) => r.entry.paramsDigest),
        rows.map((r) => JSON.stringify(r.entry.details)),
        rows.map((r) => r.prevHash),
        rows.map((r) => r.entryHash),
      ],
    );
    return rows.map((r) => ({ seq: r.seq, entryHash: r.entryHash.toString('hex') }));
  }

  private unavailable(cause: unknown): LedgerError {
    // The cause may name tables or roles but never carries entry contents; log it for operators, not callers.
    this.logger.error(`ledger append failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    return new LedgerError(LedgerErrorCode.LEDGER_UNAVAILABLE, 'the audit ledger could not record this access; nothing was returned');
  }
}
