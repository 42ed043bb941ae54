import { createPublicKey, KeyObject } from 'node:crypto';
import { FakeHsm } from '@keybridge/hsm/testing';
import { ChainVerifier } from '../chain/chain-verifier';
import { canonicalEntry, chainHash, GENESIS_HASH } from '../chain/hash-chain';
import { Checkpoint, checkpointDigest, checkpointDocument, jwkThumbprint, parseCheckpointDocument, parsePublicKey, publicPem } from '../checkpoint/signed-checkpoint';
import { exportLine, headerLine } from '../export-ledger/export-format';
import { LedgerEntry, LedgerEntryInput } from '../ledger-entry';
import { InMemoryTree, leafHash, MerkleProver } from '../merkle/merkle';
import { verifyExport } from './verify-export';

function entryInput(seq: number): LedgerEntryInput {
  return {
    principalId: `p${seq % 4}`,
    vault: 'payments',
    keyName: seq % 2 ? 'kek' : 'signer',
    keyVersion: 1,
    operation: seq % 3 ? 'wrapKey' : 'sign',
    outcome: seq % 7 ? 'success' : 'denied',
    errorCode: seq % 7 ? null : 'FORBIDDEN',
    requestId: `r-${seq}`,
    traceId: null,
    paramsDigest: null,
    details: { n: seq },
  };
}

function rechain(entries: LedgerEntry[], from: number): void {
  for (let i = from; i < entries.length; i++) {
    const prevHash = i === 0 ? GENESIS_HASH : entries[i - 1].entryHash;
    const e = { ...entries[i], seq: i + 1, prevHash };
    entries[i] = { ...e, entryHash: chainHash(prevHash, canonicalEntry(e.seq, e.recordedAt, e)) };
  }
}

function ledger(n: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (let seq = 1; seq <= n; seq++) {
    out.push({ ...entryInput(seq), seq, recordedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq)), prevHash: GENESIS_HASH, entryHash: GENESIS_HASH });
  }
  rechain(out, 0);
  return out;
}

async function* linesOf(entries: LedgerEntry[], from = 1): AsyncGenerator<string> {
  yield headerLine({ from, to: entries.at(-1)?.seq ?? 0, pending: 0 }, new Date(0));
  for (const e of entries) yield exportLine(e);
}

describe('offline verification of an export against a signed checkpoint', () => {
  const hsm = new FakeHsm([{ name: 'pool-a' }]);
  let publicKey: KeyObject;
  let keyId: string;
  const ref = { pool: 'pool-a', objectId: 'aa' };

  async function sign(entries: LedgerEntry[], treeSize: number): Promise<Checkpoint> {
    const rootHash = await new MerkleProver(new InMemoryTree(entries.map((e) => leafHash(e.entryHash)))).root(treeSize);
    const unsigned = { treeSize, rootHash, signedAt: new Date('2026-02-01T00:00:00.000Z'), keyId };
    // What LedgerSigner does: the HSM signs the SHA-256 digest (CKM_ECDSA), the verifier hashes the input itself.
    return { ...unsigned, signature: await hsm.sign(ref, { name: 'ECDSA' }, checkpointDigest(unsigned)) };
  }

  beforeAll(async () => {
    const generated = await hsm.generateKey({
      pool: 'pool-a',
      objectId: ref.objectId,
      label: 'ledger',
      spec: { kty: 'EC', curve: 'P-256' },
      usage: { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true },
      exportable: false,
    });
    const jwk = generated.publicJwk as { kty: 'EC'; crv: 'P-256'; x: string; y: string };
    keyId = jwkThumbprint(jwk);
    publicKey = parsePublicKey(publicPem(jwk));
    expect(parsePublicKey(JSON.stringify(jwk)).equals(publicKey)).toBe(true);
  });

  it('accepts an intact export, through the checkpoint file round trip', async () => {
    const entries = ledger(50);
    const cp = parseCheckpointDocument(JSON.stringify(checkpointDocument(await sign(entries, 40))));
    await expect(verifyExport(linesOf(entries), cp, publicKey)).resolves.toMatchObject({ ok: true, checked: 50, checkpointsChecked: 1 });
  });

  it.each([
    ['a changed field of an old entry', (c: LedgerEntry[]) => { c[6] = { ...c[6], outcome: 'success', errorCode: null }; }, 7],
    ['a deleted old entry', (c: LedgerEntry[]) => { c.splice(9, 1); }, 10],
    ['a forged entry in place of one (hash recomputed)', (c: LedgerEntry[]) => {
      const forged = { ...c[14], operation: 'unwrapKey', principalId: 'mallory' };
      c[14] = { ...forged, entryHash: chainHash(forged.prevHash, canonicalEntry(forged.seq, forged.recordedAt, forged)) };
    }, 15],
    ['a forged entry inserted and everything after renumbered and rehashed', (c: LedgerEntry[]) => {
      c.splice(20, 0, { ...c[20], operation: 'purgeKey' });
      rechain(c, 20);
    }, 1],
    ['two swapped entries', (c: LedgerEntry[]) => { [c[24], c[25]] = [c[25], c[24]]; }, 25],
    ['the newest entries cut off (below the checkpoint)', (c: LedgerEntry[]) => { c.splice(35); }, 36],
  ])('names the first bad sequence number after %s', async (_name, tamper, firstBad) => {
    const entries = ledger(50);
    const cp = await sign(entries, 40);
    tamper(entries);
    await expect(verifyExport(linesOf(entries), cp, publicKey)).resolves.toMatchObject({ ok: false, firstBadSeq: firstBad });
  });

  it('locates a consistent rewrite between the checkpoints that still hold', async () => {
    const entries = ledger(50);
    const early = await sign(entries, 16);
    const cp = await sign(entries, 40);
    entries[20] = { ...entries[20], operation: 'forged' };
    rechain(entries, 20);
    const verifier = new ChainVerifier({ claims: [early, cp] });
    entries.forEach((e) => verifier.push(e));
    expect(verifier.finish()).toMatchObject({ ok: false, firstBadSeq: 17, checkpointsChecked: 1 });
  });

  it.each([
    ['a signature by another key', async (cp: Checkpoint) => ({ ...cp, signature: await hsm.sign({ pool: 'pool-a', objectId: 'bb' }, { name: 'ECDSA' }, checkpointDigest(cp)) })],
    ['a changed root', async (cp: Checkpoint) => ({ ...cp, rootHash: Buffer.alloc(32, 7) })],
    ['a changed tree size', async (cp: Checkpoint) => ({ ...cp, treeSize: cp.treeSize - 1 })],
  ])('rejects a checkpoint with %s', async (_name, forge) => {
    await hsm.generateKey({
      pool: 'pool-a',
      objectId: 'bb',
      label: 'other',
      spec: { kty: 'EC', curve: 'P-256' },
      usage: { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true },
      exportable: false,
    }).catch(() => undefined);
    const entries = ledger(20);
    const cp = await forge(await sign(entries, 20));
    const verdict = await verifyExport(linesOf(entries), cp, publicKey);
    expect(verdict).toMatchObject({ ok: false, reason: 'the checkpoint signature does not verify with the public key' });
  });

  it('refuses a public key that is not the checkpoint\'s', async () => {
    const entries = ledger(5);
    const cp = await sign(entries, 5);
    const other = createPublicKey(publicPem({ kty: 'EC', crv: 'P-256', x: 'gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0', y: 'SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps' }));
    await expect(verifyExport(linesOf(entries), cp, other)).resolves.toMatchObject({ ok: false, reason: expect.stringContaining('the public key given is') });
  });

  it('rejects an export that does not start at seq 1, and garbage lines', async () => {
    const entries = ledger(10);
    const cp = await sign(entries, 10);
    await expect(verifyExport(linesOf(entries.slice(3), 4), cp, publicKey)).resolves.toMatchObject({ ok: false, reason: expect.stringContaining('starts at seq 4') });
    async function* garbage(): AsyncGenerator<string> {
      for await (const line of linesOf(entries)) yield line.includes('"seq":6,') ? '{"seq":6' : line;
    }
    await expect(verifyExport(garbage(), cp, publicKey)).resolves.toMatchObject({ ok: false, firstBadSeq: 6, reason: 'line 7 is not a ledger entry' });
  });
});
