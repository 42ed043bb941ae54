import { LedgerEntry } from '../ledger-entry';
import { canonicalEntry, chainHash, GENESIS_HASH } from './hash-chain';

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  /** First sequence number that does not verify (gap, wrong prev hash or wrong entry hash). */
  firstBadSeq?: number;
  reason?: string;
}

/** Verifies entries in sequence order, starting from `prevHash` (genesis for seq 1). */
export function verifyChain(entries: Iterable<LedgerEntry>, startSeq = 1, prevHash: Buffer = GENESIS_HASH): ChainVerdict {
  let expectedSeq = startSeq;
  let prev = prevHash;
  let checked = 0;
  for (const e of entries) {
    if (e.seq !== expectedSeq) return { ok: false, checked, firstBadSeq: expectedSeq, reason: `expected seq ${expectedSeq}, found ${e.seq}` };
    if (!e.prevHash.equals(prev)) return { ok: false, checked, firstBadSeq: e.seq, reason: 'prev_hash does not match' };
    const hash = chainHash(prev, canonicalEntry(e.seq, e.recordedAt, e));
    if (!hash.equals(e.entryHash)) return { ok: false, checked, firstBadSeq: e.seq, reason: 'entry_hash does not match' };
    prev = hash;
    expectedSeq++;
    checked++;
  }
  return { ok: true, checked };
}
