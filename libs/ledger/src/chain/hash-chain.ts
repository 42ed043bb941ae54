import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { LedgerEntryInput } from '../ledger-entry';

export const GENESIS_HASH = Buffer.alloc(32);

/**
 * The hashed form of an entry: every field, time as ISO-8601 with milliseconds, canonical JSON (RFC 8785).
 * Written member by member in RFC 8785 order (UTF-16 code unit order of the names: details, errorCode, keyName,
 * keyVersion, operation, outcome, paramsDigest, principalId, recordedAt, requestId, seq, traceId, vault), because
 * verification recomputes millions of these and a generic serialiser's sort dominates otherwise.
 * `canonical-entry.spec.ts` proves the output is byte for byte what `canonicalize` (RFC 8785) produces.
 */
export function canonicalEntry(seq: number, recordedAt: Date, entry: LedgerEntryInput): string {
  return joinCanonicalParts(canonicalParts(entry), seq, recordedAt);
}

/**
 * The canonical text split around the two values only the database knows when it appends — `recordedAt` (kept
 * monotonic in seq: the later of this process's clock and the previous entry's time) and `seq`:
 * canonicalEntry(seq, t, …) === head + JSON.stringify(t.toISOString()) + middle + String(seq) + tail.
 * The writer sends the three parts; `ledger_append` hashes prev_hash || head || "time" || middle || seq || tail.
 */
export function canonicalParts(entry: LedgerEntryInput): { head: string; middle: string; tail: string } {
  let text = '{';
  const add = (name: string, value: unknown): void => {
    if (value === undefined) return;
    text += text.length > 1 ? `,"${name}":${scalar(value)}` : `"${name}":${scalar(value)}`;
  };
  add('details', entry.details);
  add('errorCode', entry.errorCode);
  add('keyName', entry.keyName);
  add('keyVersion', entry.keyVersion);
  add('operation', entry.operation);
  add('outcome', entry.outcome);
  add('paramsDigest', entry.paramsDigest);
  add('principalId', entry.principalId);
  const head = `${text}${text.length > 1 ? ',' : ''}"recordedAt":`;
  // `add` sees a buffer that does not start with '{' below, so its first member gets no separating comma
  text = '';
  add('requestId', entry.requestId);
  const middle = `${text.length ? `,${text}` : ''},"seq":`;
  text = '';
  add('traceId', entry.traceId);
  add('vault', entry.vault);
  const tail = text.length ? `,${text}}` : '}';
  return { head, middle, tail };
}

/** The canonical text from its parts and the two values the database assigns. */
export function joinCanonicalParts(parts: { head: string; middle: string; tail: string }, seq: number, recordedAt: Date): string {
  return `${parts.head}${JSON.stringify(recordedAt.toISOString())}${parts.middle}${seq}${parts.tail}`;
}

function scalar(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Error('ledger entry is not serialisable');
      return JSON.stringify(value);
    case 'object': {
      if (Object.keys(value as object).length === 0 && !Array.isArray(value)) return '{}';
      const text = canonicalize(value);
      if (text === undefined) throw new Error('ledger entry is not serialisable');
      return text;
    }
    default:
      throw new Error('ledger entry is not serialisable');
  }
}

let scratch = Buffer.allocUnsafe(4096);

/** entry_hash = SHA-256(prev_hash || canonical(entry)) — one-shot hash over a reused buffer (no hash object per entry). */
export function chainHash(prevHash: Buffer, canonical: string): Buffer {
  const max = prevHash.length + canonical.length * 3;
  if (scratch.length < max) scratch = Buffer.allocUnsafe(Math.max(max, scratch.length * 2));
  prevHash.copy(scratch, 0);
  const written = scratch.write(canonical, prevHash.length, 'utf8');
  return hash('sha256', scratch.subarray(0, prevHash.length + written), 'buffer');
}
