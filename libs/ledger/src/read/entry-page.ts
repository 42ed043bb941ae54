import { LedgerEntry } from '../ledger-entry';
import { invalidLedgerArgument } from '../ledger.errors';

export interface EntryPage {
  items: Array<{ cursor: string; node: LedgerEntry }>;
  hasNextPage: boolean;
}

export const MAX_ENTRY_PAGE = 500;

export function entryPageSize(first: number | null | undefined): number {
  const size = first ?? 50;
  if (!Number.isInteger(size) || size < 1 || size > MAX_ENTRY_PAGE) throw invalidLedgerArgument(`first must be 1-${MAX_ENTRY_PAGE}`, 'first');
  return size;
}

/** Cursors are opaque: base64url of "seq:<n>". */
export function entryCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

export function afterSeq(cursor: string | null | undefined): number {
  if (cursor === null || cursor === undefined) return 0;
  const m = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  if (!m) throw invalidLedgerArgument('after is not a cursor from this API', 'after');
  return Number(m[1]);
}

export function toEntryPage(rows: LedgerEntry[], limit: number): EntryPage {
  return { items: rows.slice(0, limit).map((node) => ({ cursor: entryCursor(node.seq), node })), hasNextPage: rows.length > limit };
}

export function positiveSeq(value: number | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) throw invalidLedgerArgument(`${field} must be a positive integer`, field);
  return value;
}
