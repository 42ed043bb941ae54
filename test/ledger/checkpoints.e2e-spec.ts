import { execFileSync } from 'node:child_process';
import { createPublicKey, randomInt } from 'node:crypto';
import { Client } from 'pg';
import { loadPoolsFile, PoolConfig, readSecret } from '@keybridge/hsm';
import {
  canonicalEntry,
  chainHash,
  jwkThumbprint,
  leafHash,
  LedgerOutcome,
  parseCheckpointDocument,
  verifyCheckpointSignature,
  verifyConsistency,
  verifyInclusion,
} from '@keybridge/ledger';
import { admin, adminDatabase, createKey, GatewayClient, principalWith, requireEnv, vaultWithOwner } from '@keybridge/testing';

const WRAP = 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }';
const CHECKPOINT = 'treeSize rootHash signedAt keyId algorithm signature document';
const ENTRY = 'seq recordedAt principalId vault keyName keyVersion operation outcome errorCode requestId traceId paramsDigest details prevHash entryHash';

interface CheckpointResult {
  treeSize: number;
  rootHash: string;
  signedAt: string;
  keyId: string;
  algorithm: string;
  signature: string;
  document: string;
}

interface EntryResult {
  seq: number;
  recordedAt: string;
  principalId: string | null;
  vault: string | null;
  keyName: string | null;
  keyVersion: number | null;
  operation: string;
  outcome: LedgerOutcome;
  errorCode: string | null;
  requestId: string | null;
  traceId: string | null;
  paramsDigest: string | null;
  details: string;
  prevHash: string;
  entryHash: string;
}

const buf = (hex: string): Buffer => Buffer.from(hex, 'hex');

/** The entry hash recomputed from the fields the API returned: the proof is about this content. */
function recomputedEntryHash(e: EntryResult): Buffer {
  const recordedAt = new Date(e.recordedAt);
  return chainHash(buf(e.prevHash), canonicalEntry(e.seq, recordedAt, { ...e, details: JSON.parse(e.details) as Record<string, string | number | boolean | null> }));
}

describe('signed checkpoints and proofs', () => {
  let db: Client;
  let auditor: GatewayClient;
  let vault: string;
  let owner: GatewayClient;

  beforeAll(async () => {
    db = await adminDatabase();
    auditor = admin(); // the bootstrap admin holds auditRead
    ({ vault, owner } = await vaultWithOwner('pool-a', 'proofs'));
    await createKey(owner, { vault, name: 'aes', kty: 'oct' });
  });

  afterAll(() => db.end());

  const wrap = (i: number): Promise<unknown> => owner.data(WRAP, { k: { vault, name: 'aes' }, v: Buffer.alloc(16, i).toString('base64url') });

  it('the worker signs checkpoints by itself while entries arrive', async () => {
    await wrap(1);
    const head = Number((await db.query<{ seq: string }>('SELECT max(seq) AS seq FROM ledger_entries')).rows[0].seq);
    // no createCheckpoint here: only the worker's repeatable job can produce it (interval 4 s by default)
    const deadline = Date.now() + 30_000;
    let size = 0;
    while (Date.now() < deadline && size < head) {
      const { rows } = await db.query<{ n: string }>('SELECT COALESCE(max(tree_size), 0) AS n FROM ledger_checkpoints');
      size = Number(rows[0].n);
      if (size < head) await new Promise((r) => setTimeout(r, 250));
    }
    expect(size).toBeGreaterThanOrEqual(head);
  }, 40_000);

  it('publishes the signing key (JWK and PEM of one P-256 key, held non-extractable in the first SoftHSM pool)', async () => {
    const { ledgerSigningKeys: keys } = await auditor.data<{ ledgerSigningKeys: Array<{ keyId: string; algorithm: string; pool: string; pem: string; jwk: { kty: string; crv: string; x: string; y: string } }> }>(
      '{ ledgerSigningKeys { keyId algorithm pool pem jwk { kty crv x y } } }',
    );
    expect(keys.length).toBeGreaterThanOrEqual(1);
    const key = keys[0];
    expect(key).toMatchObject({ algorithm: 'ES256', pool: 'pool-a', jwk: { kty: 'EC', crv: 'P-256' } });
    expect(key.keyId).toBe(jwkThumbprint(key.jwk));
    expect(createPublicKey(key.pem).equals(createPublicKey({ key: key.jwk, format: 'jwk' }))).toBe(true);
    const stored = await db.query<{ hsm_object_id: string }>('SELECT hsm_object_id FROM ledger_signing_keys WHERE key_id = $1', [key.keyId]);
    expect(stored.rows).toHaveLength(1);
    const pool = loadPoolsFile(requireEnv('KEYBRIDGE_POOLS_FILE')).find((p) => p.name === 'pool-a') as PoolConfig;
    const listing = execFileSync(
      'pkcs11-tool',
      ['--module', pool.module, '--token-label', pool.tokenLabel, '--login', '--pin', readSecret(pool.pin, 'PIN'), '--list-objects', '--type', 'privkey', '--id', stored.rows[0].hsm_object_id],
      { env: { ...process.env, ...pool.environment }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    expect(listing).toContain('Private Key Object; EC');
    expect(listing).toContain('never extractable');
    // and its creation is itself in the ledger
    const created = await db.query(`SELECT 1 FROM ledger_entries WHERE operation = 'createLedgerSigningKey' AND details->>'keyId' = $1`, [key.keyId]);
    expect(created.rows).toHaveLength(1);
  });

  it('inclusion proofs of random entries verify against signed checkpoints; a proof for the wrong entry fails', async () => {
    for (let i = 0; i < 5; i++) await wrap(10 + i);
    const { createCheckpoint: cp } = await auditor.data<{ createCheckpoint: CheckpointResult }>(`mutation { createCheckpoint { ${CHECKPOINT} } }`);
    const { ledgerSigningKeys } = await auditor.data<{ ledgerSigningKeys: Array<{ keyId: string; pem: string }> }>('{ ledgerSigningKeys { keyId pem } }');
    const publicKey = createPublicKey((ledgerSigningKeys.find((k) => k.keyId === cp.keyId) as { pem: string }).pem);
    const parsed = parseCheckpointDocument(cp.document);
    expect(parsed.treeSize).toBe(cp.treeSize);
    expect(verifyCheckpointSignature(parsed, publicKey)).toBe(true);
    expect(verifyCheckpointSignature({ ...parsed, treeSize: parsed.treeSize + 1 }, publicKey)).toBe(false);

    const root = buf(cp.rootHash);
    const seqs = [1, cp.treeSize, ...Array.from({ length: 8 }, () => randomInt(1, cp.treeSize + 1))];
    const proofs: Array<{ seq: number; leaf: Buffer; path: Buffer[] }> = [];
    for (const seq of seqs) {
      const { inclusionProof: p } = await auditor.data<{ inclusionProof: { entry: EntryResult; leafIndex: number; leafHash: string; path: string[]; checkpoint: { treeSize: number } } }>(
        `query($s: Int!, $t: Int) { inclusionProof(seq: $s, treeSize: $t) { entry { ${ENTRY} } leafIndex leafHash path checkpoint { treeSize } } }`,
        { s: seq, t: cp.treeSize },
      );
      expect(p.leafIndex).toBe(seq - 1);
      expect(p.checkpoint.treeSize).toBe(cp.treeSize);
      const entryHash = recomputedEntryHash(p.entry);
      expect(entryHash.toString('hex')).toBe(p.entry.entryHash);
      const leaf = leafHash(entryHash);
      expect(leaf.toString('hex')).toBe(p.leafHash);
      const path = p.path.map(buf);
      expect(verifyInclusion(seq - 1, cp.treeSize, leaf, path, root)).toBe(true);
      proofs.push({ seq, leaf, path });
    }
    // the wrong entry: another entry's leaf with this path, or this leaf at another index, or a changed entry
    const [a, b] = proofs.filter((p, i, all) => all.findIndex((q) => q.seq === p.seq) === i);
    expect(verifyInclusion(a.seq - 1, cp.treeSize, b.leaf, a.path, root)).toBe(false);
    expect(verifyInclusion(b.seq - 1, cp.treeSize, a.leaf, a.path, root)).toBe(false);
    const { inclusionProof: p } = await auditor.data<{ inclusionProof: { entry: EntryResult; path: string[] } }>(
      `query($s: Int!, $t: Int) { inclusionProof(seq: $s, treeSize: $t) { entry { ${ENTRY} } path } }`,
      { s: cp.treeSize, t: cp.treeSize },
    );
    const forged = { ...p.entry, outcome: p.entry.outcome === 'success' ? ('denied' as const) : ('success' as const) };
    expect(verifyInclusion(cp.treeSize - 1, cp.treeSize, leafHash(recomputedEntryHash(forged)), p.path.map(buf), root)).toBe(false);
  });

  it('consistency proofs between checkpoint pairs verify; a proof between the wrong pair fails', async () => {
    await wrap(30);
    await auditor.data(`mutation { createCheckpoint { treeSize } }`);
    const { rows } = await db.query<{ tree_size: string; root_hash: Buffer }>('SELECT tree_size, root_hash FROM ledger_checkpoints ORDER BY random() LIMIT 6');
    const cps = rows.map((r) => ({ size: Number(r.tree_size), root: r.root_hash })).sort((x, y) => x.size - y.size);
    expect(cps.length).toBeGreaterThanOrEqual(2);
    const pairs = cps.flatMap((x, i) => cps.slice(i + 1).map((y) => [x, y] as const)).slice(0, 8);
    for (const [from, to] of pairs) {
      const { consistencyProof: c } = await auditor.data<{ consistencyProof: { from: { treeSize: number; rootHash: string }; to: { treeSize: number; rootHash: string }; path: string[] } }>(
        'query($f: Int!, $t: Int) { consistencyProof(fromSize: $f, toSize: $t) { from { treeSize rootHash } to { treeSize rootHash } path } }',
        { f: from.size, t: to.size },
      );
      expect(c.from.rootHash).toBe(from.root.toString('hex'));
      expect(c.to.rootHash).toBe(to.root.toString('hex'));
      const path = c.path.map(buf);
      expect(verifyConsistency(from.size, to.size, from.root, to.root, path)).toBe(true);
      if (from.size !== to.size) {
        expect(verifyConsistency(from.size, to.size, to.root, to.root, path)).toBe(false);
        if (path.length) expect(verifyConsistency(from.size, to.size, from.root, to.root, path.slice(1))).toBe(false);
      }
    }
  });

  it('verifyLedger recomputes the chain and every checkpoint, and latestCheckpoint/checkpoint agree', async () => {
    const { verifyLedger: v } = await auditor.data<{ verifyLedger: { ok: boolean; checked: number; checkpointsChecked: number; signaturesChecked: number; headSeq: number; from: number; to: number } }>(
      '{ verifyLedger { ok checked checkpointsChecked signaturesChecked headSeq from to } }',
    );
    expect(v).toMatchObject({ ok: true, from: 1 });
    expect(v.checked).toBe(v.to);
    expect(v.checkpointsChecked).toBeGreaterThanOrEqual(2);
    expect(v.signaturesChecked).toBeGreaterThanOrEqual(v.checkpointsChecked);
    const { latestCheckpoint } = await auditor.data<{ latestCheckpoint: CheckpointResult }>(`{ latestCheckpoint { ${CHECKPOINT} } }`);
    const { checkpoint } = await auditor.data<{ checkpoint: CheckpointResult }>(`query($t: Int!) { checkpoint(treeSize: $t) { ${CHECKPOINT} } }`, { t: latestCheckpoint.treeSize });
    expect(checkpoint).toEqual(latestCheckpoint);
    // a range in the middle verifies too (its link into the range comes from the stored prefix)
    const { verifyLedger: mid } = await auditor.data<{ verifyLedger: { ok: boolean; checked: number } }>('query($f: Int, $t: Int) { verifyLedger(from: $f, to: $t) { ok checked } }', {
      f: 3,
      t: latestCheckpoint.treeSize,
    });
    expect(mid).toEqual({ ok: true, checked: latestCheckpoint.treeSize - 2 });
  });

  it.each([
    ['checkpoint of a size never signed', 'CHECKPOINT_NOT_FOUND', 'query { checkpoint(treeSize: 2000000000) { treeSize } }'],
    ['checkpoint of size 0', 'INVALID_ARGUMENT', 'query { checkpoint(treeSize: 0) { treeSize } }'],
    ['inclusion proof of an entry beyond the checkpoint', 'LEDGER_ENTRY_NOT_FOUND', 'query { inclusionProof(seq: 2000000000) { leafIndex } }'],
    ['inclusion proof of seq 0', 'INVALID_ARGUMENT', 'query { inclusionProof(seq: 0) { leafIndex } }'],
    ['inclusion proof against a size never signed', 'CHECKPOINT_NOT_FOUND', 'query { inclusionProof(seq: 1, treeSize: 2000000000) { leafIndex } }'],
    ['consistency proof from a size never signed', 'CHECKPOINT_NOT_FOUND', 'query { consistencyProof(fromSize: 2000000000) { path } }'],
    ['consistency proof to a size never signed', 'CHECKPOINT_NOT_FOUND', 'query { consistencyProof(fromSize: 1, toSize: 2000000000) { path } }'],
    ['verifyLedger with from after to', 'INVALID_ARGUMENT', 'query { verifyLedger(from: 9, to: 3) { ok } }'],
    ['verifyLedger from 0', 'INVALID_ARGUMENT', 'query { verifyLedger(from: 0) { ok } }'],
  ])('%s: %s', async (_name, code, query) => {
    expect(await auditor.errorCode(query)).toBe(code);
  });

  it('needs auditRead for every checkpoint, proof and verification operation, and records each denial', async () => {
    const reader = await principalWith(vault, ['get']);
    const { me } = await reader.data<{ me: { id: string } }>('{ me { id } }');
    const ops: Array<[string, string]> = [
      ['createCheckpoint', 'mutation { createCheckpoint { treeSize } }'],
      ['getCheckpoint', '{ latestCheckpoint { treeSize } }'],
      ['getInclusionProof', '{ inclusionProof(seq: 1) { leafIndex } }'],
      ['getConsistencyProof', '{ consistencyProof(fromSize: 1) { path } }'],
      ['listLedgerSigningKeys', '{ ledgerSigningKeys { keyId } }'],
      ['verifyLedger', '{ verifyLedger { ok } }'],
    ];
    for (const [, query] of ops) expect(await reader.errorCode(query)).toBe('FORBIDDEN');
    const { rows } = await db.query<{ operation: string; outcome: string; error_code: string }>(
      'SELECT operation, outcome, error_code FROM ledger_entries WHERE principal_id = $1 ORDER BY seq',
      [me.id],
    );
    expect(rows).toEqual(ops.map(([operation]) => ({ operation, outcome: 'denied', error_code: 'FORBIDDEN' })));
  });
});
