import { LedgerEntry } from '../ledger-entry';
import { InMemoryTree, leafHash, MerkleProver } from '../merkle/merkle';
import { ChainVerifier } from './chain-verifier';
import { canonicalEntry, chainHash, GENESIS_HASH } from './hash-chain';

function chain(n: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let prev: Buffer = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const e = {
      principalId: 'p',
      vault: 'v',
      keyName: 'k',
      keyVersion: 1,
      operation: 'sign',
      outcome: 'success' as const,
      errorCode: null,
      requestId: `r${seq}`,
      traceId: null,
      paramsDigest: null,
      details: {},
      seq,
      recordedAt: new Date(1_700_000_000_000 + seq),
      prevHash: prev,
    };
    const entryHash = chainHash(prev, canonicalEntry(seq, e.recordedAt, e));
    out.push({ ...e, entryHash });
    prev = entryHash;
  }
  return out;
}

const head = async (entries: LedgerEntry[], size: number): Promise<{ treeSize: number; rootHash: Buffer }> => ({
  treeSize: size,
  rootHash: await new MerkleProver(new InMemoryTree(entries.map((e) => leafHash(e.entryHash)))).root(size),
});

describe('ChainVerifier', () => {
  it('checks every claimed tree head on the way and counts them', async () => {
    const c = chain(40);
    const v = new ChainVerifier({ claims: [await head(c, 40), await head(c, 7), await head(c, 32)] });
    c.forEach((e) => v.push(e));
    expect(v.finish()).toEqual({ ok: true, checked: 40, checkpointsChecked: 3, lastSeq: 40 });
  });

  it('verifies a range from its middle, the prefix feeding only the tree and the first link', async () => {
    const c = chain(30);
    const v = new ChainVerifier({ startSeq: 11, claims: [await head(c, 25)], treeFrom: 1 });
    c.slice(0, 10).forEach((e) => v.pushLeafOnly(e.seq, e.entryHash));
    c.slice(10).forEach((e) => v.push(e));
    expect(v.finish()).toMatchObject({ ok: true, checked: 20, checkpointsChecked: 1 });
  });

  it('names the first missing entry when the ledger is shorter than a signed checkpoint, only at the head', async () => {
    const c = chain(30);
    const claims = [await head(c, 30)];
    const truncated = new ChainVerifier({ claims });
    c.slice(0, 26).forEach((e) => truncated.push(e));
    expect(truncated.finish(true)).toMatchObject({ ok: false, firstBadSeq: 27 });
    const partial = new ChainVerifier({ claims });
    c.slice(0, 26).forEach((e) => partial.push(e));
    // a verification that stopped at a caller's `to` below the checkpoint says nothing about entries after it
    expect(partial.finish(false)).toMatchObject({ ok: true, checked: 26 });
  });

  it('refuses a changed prefix hash (a gap or a different predecessor) when starting mid-ledger', async () => {
    const c = chain(12);
    const v = new ChainVerifier({ startSeq: 6, treeFrom: 1 });
    c.slice(0, 5).forEach((e) => v.pushLeafOnly(e.seq, e.seq === 5 ? Buffer.alloc(32, 9) : e.entryHash));
    c.slice(5).forEach((e) => v.push(e));
    expect(v.finish()).toMatchObject({ ok: false, firstBadSeq: 5 });
  });
});
