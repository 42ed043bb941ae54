import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { LedgerEntryInput } from '../ledger-entry';

export const GENESIS_HASH = Buffer.alloc(32);

/** The hashed form of an entry: every field, time as ISO-8601 with milliseconds, canonical JSON (RFC 8785). */
export function canonicalEntry(seq: number, recordedAt: Date, entry: LedgerEntryInput): string {
  const doc = {
    seq,
    recordedAt: recordedAt.toISOString(),
    principalId: entry.principalId,
    vault: entry.vault,
    keyName: entry.keyName,
    keyVersion: entry.keyVersion,
    operation: entry.operation,
    outcome: entry.outcome,
    errorCode: entry.errorCode,
    requestId: entry.requestId,
    traceId: entry.traceId,
    paramsDigest: entry.paramsDigest,
    details: entry.details,
  };
  const text = canonicalize(doc);
  if (text === undefined) throw new Error('ledger entry is not serialisable');
  return text;
}

/** entry_hash = SHA-256(prev_hash || canonical(entry)) */
export function chainHash(prevHash: Buffer, canonical: string): Buffer {
  return createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();
}
