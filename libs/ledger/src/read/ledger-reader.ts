import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LedgerEntry } from '../ledger-entry';
import { Queryable } from '../queryable';

export interface LedgerRow {
  seq: string;
  recorded_at: Date;
  principal_id: string | null;
  vault: string | null;
  key_name: string | null;
  key_version: number | null;
  operation: string;
  outcome: LedgerEntry['outcome'];
  error_code: string | null;
  request_id: string | null;
  trace_id: string | null;
  params_digest: string | null;
  details: LedgerEntry['details'];
  prev_hash: Buffer;
  entry_hash: Buffer;
}


export interface LedgerFilter {
  vault?: string;
  keyName?: string;
  afterSeq?: number;
}

@Injectable()
export class LedgerReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Highest committed sequence number (0 for an empty ledger). Appends commit in seq order, so 1..head are visible. */
  async headSeq(db: Queryable = this.dataSource): Promise<number> {
    const rows = (await db.query('SELECT seq FROM ledger_entries ORDER BY seq DESC LIMIT 1')) as Array<{ seq: string }>;
    return rows.length ? Number(rows[0].seq) : 0;
  }

  /** Entries committed but not yet integrated into the chain, and when the oldest of them was queued. */
  async pending(): Promise<{ entries: number; oldestQueuedAt: Date | null }> {
    const rows = (await this.dataSource.query('SELECT count(*) AS n, min(queued_at) AS oldest FROM ledger_queue')) as Array<{ n: string; oldest: Date | null }>;
    return { entries: Number(rows[0].n), oldestQueuedAt: rows[0].oldest };
  }

  /** Entries first..last (inclusive) in seq order, at most `limit` of them. */
  async range(first: number, last: number, limit: number): Promise<LedgerEntry[]> {
    const rows = (await this.dataSource.query('SELECT * FROM ledger_entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq LIMIT $3', [
      first,
      last,
      limit,
    ])) as LedgerRow[];
    return rows.map(toEntry);
  }

  /** (seq, entry_hash) of first..last in seq order, at most `limit` of them. */
  async hashes(first: number, last: number, limit: number): Promise<Array<{ seq: number; entryHash: Buffer }>> {
    const rows = (await this.dataSource.query('SELECT seq, entry_hash FROM ledger_entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq LIMIT $3', [
      first,
      last,
      limit,
    ])) as Array<{ seq: string; entry_hash: Buffer }>;
    return rows.map((r) => ({ seq: Number(r.seq), entryHash: r.entry_hash }));
  }

  async page(filter: LedgerFilter, limit: number): Promise<LedgerEntry[]> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM ledger_entries
        WHERE ($1::text IS NULL OR vault = $1) AND ($2::text IS NULL OR key_name = $2) AND seq > $3
        ORDER BY seq LIMIT $4`,
      [filter.vault ?? null, filter.keyName ?? null, filter.afterSeq ?? 0, limit],
    )) as LedgerRow[];
    return rows.map(toEntry);
  }
}

export function toEntry(r: LedgerRow): LedgerEntry {
  return {
    seq: Number(r.seq),
    recordedAt: r.recorded_at,
    principalId: r.principal_id,
    vault: r.vault,
    keyName: r.key_name,
    keyVersion: r.key_version,
    operation: r.operation,
    outcome: r.outcome,
    errorCode: r.error_code,
    requestId: r.request_id,
    traceId: r.trace_id,
    paramsDigest: r.params_digest,
    details: r.details,
    prevHash: r.prev_hash,
    entryHash: r.entry_hash,
  };
}
