import { LedgerEntry } from '../ledger-entry';
import { ChainVerdict, ChainVerifier } from './chain-verifier';
import { GENESIS_HASH } from './hash-chain';

export type { ChainVerdict } from './chain-verifier';

/** Verifies entries in sequence order, starting from `prevHash` (genesis for seq 1). */
export function verifyChain(entries: Iterable<LedgerEntry>, startSeq = 1, prevHash: Buffer = GENESIS_HASH): ChainVerdict {
  const verifier = new ChainVerifier({ startSeq, prevHash, treeFrom: 0 });
  for (const e of entries) if (!verifier.push(e)) break;
  const { ok, checked, firstBadSeq, reason } = verifier.finish(false);
  return ok ? { ok, checked } : { ok, checked, firstBadSeq, reason };
}
