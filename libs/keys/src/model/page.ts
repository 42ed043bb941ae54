import { invalidArgument } from '../keys.errors';

export interface Page<T> {
  items: Array<{ cursor: string; node: T }>;
  hasNextPage: boolean;
}

export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined): number {
  const size = first ?? 25;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw invalidArgument(`first must be 1-${MAX_PAGE_SIZE}`, 'first');
  return size;
}

/** Opaque cursors: base64url of the keyset position. */
export function encodeCursor(position: string | number): string {
  return Buffer.from(String(position), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined) return null;
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw invalidArgument('after is not a cursor from this API', 'after');
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/** Fetch limit+1 rows, return limit of them and whether more exist. */
export function toPage<T>(rows: T[], limit: number, position: (row: T) => string | number): Page<T> {
  const items = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(position(node)), node }));
  return { items, hasNextPage: rows.length > limit };
}
