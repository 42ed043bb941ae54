import { LedgerEntry, LedgerEntryInput } from '../ledger-entry';
import { canonicalEntry, chainHash, GENESIS_HASH } from './hash-chain';
import { verifyChain } from './verify-chain';

function chain(n: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let prev: Buffer = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const input: LedgerEntryInput = {
      principalId: `p${seq % 3}`,
      vault: 'v',
      keyName: 'k',
      keyVersion: 1,
      operation: 'wrapKey',
      outcome: 'success',
      errorCode: null,
      requestId: `r${seq}`,
      traceId: null,
      paramsDigest: null,
      details: { b: 2, a: 1 },
    };
    const recordedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, seq));
    const entryHash = chainHash(prev, canonicalEntry(seq, recordedAt, input));
    out.push({ ...input, seq, recordedAt, prevHash: prev, entryHash });
    prev = entryHash;
  }
  return out;
}

describe('hash chain', () => {
  it('canonicalises per RFC 8785 (sorted members, no whitespace)', () => {
    const text = canonicalEntry(1, new Date('2026-01-01T00:00:00.000Z'), chain(1)[0]);
    expect(text).toContain('"details":{"a":1,"b":2}');
    expect(text.startsWith('{"details"')).toBe(true);
    expect(text).not.toMatch(/\s/);
  });

  it('verifies an intact chain', () => {
    expect(verifyChain(chain(20))).toEqual({ ok: true, checked: 20 });
  });

  it.each([
    ['a changed field', (c: LedgerEntry[]) => { c[4] = { ...c[4], outcome: 'denied' }; }, 5],
    ['a deleted entry', (c: LedgerEntry[]) => { c.splice(6, 1); }, 7],
    ['two swapped entries', (c: LedgerEntry[]) => { [c[2], c[3]] = [c[3], c[2]]; }, 3],
    // The forged entry's own hash is right; its successor no longer chains to it, which blames the forgery (10).
    ['a forged entry with a recomputed hash', (c: LedgerEntry[]) => {
      const forged = { ...c[9], operation: 'purgeKey' };
      c[9] = { ...forged, entryHash: chainHash(forged.prevHash, canonicalEntry(forged.seq, forged.recordedAt, forged)) };
    }, 10],
    ['a changed prev_hash', (c: LedgerEntry[]) => { c[7] = { ...c[7], prevHash: Buffer.alloc(32, 1) }; }, 8],
    ['a duplicated entry', (c: LedgerEntry[]) => { c.splice(5, 0, c[4]); }, 6],
  ])('names the first bad sequence number after %s', (_name, tamper, firstBad) => {
    const c = chain(15);
    tamper(c);
    expect(verifyChain(c)).toMatchObject({ ok: false, firstBadSeq: firstBad });
  });
});
