import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { canonicalEntry, chainHash, LedgerEntry, parseExportLine } from '@keybridge/ledger';
import { GatewayClient, ledgerSettling } from '@keybridge/testing';
import { CLI, GatewayProcess, prepareDatabase, run, ThrowAwayDatabase } from './support/stack';

const WRAP = 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }';
const VERIFY = '{ verifyLedger { ok checked firstBadSeq reason checkpointsChecked signaturesChecked headSeq } }';

interface Verification {
  ok: boolean;
  checked: number;
  firstBadSeq: number | null;
  reason: string | null;
  checkpointsChecked: number;
  signaturesChecked: number;
  headSeq: number;
}

/**
 * Tampering with the ledger as a superuser (triggers bypassed) must be caught by both verifiers, naming the first bad
 * sequence number. The server-side verifyLedger runs in a gateway of our own on a throw-away database, so the
 * shared database the other suites use is never touched; the offline verifier gets tampered copies of an export.
 */
describe('tamper evidence', () => {
  let work: string;
  let db: ThrowAwayDatabase;
  let gateway: GatewayProcess;
  let auditor: GatewayClient;
  let superuser: Client;
  let checkpointSize: number;
  let exported: string[];
  const files = { checkpoint: '', key: '' };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kb-tamper-'));
    db = await ThrowAwayDatabase.create('kbt');
    const token = await prepareDatabase(db.env(), work);
    gateway = await GatewayProcess.start(db.env());
    auditor = gateway.client(token);
    // the bootstrap admin holds admin and auditRead; give it a vault and a key to create some history
    await auditor.data('mutation { createVault(name: "tamper", pool: "pool-a") { name } }');
    const me = await auditor.data<{ me: { name: string } }>('{ me { name } }');
    await auditor.data('mutation($p: String!) { setGrant(principal: $p, vault: "tamper", permissions: [create, wrapKey]) { vault } }', { p: me.me.name });
    await auditor.data('mutation { createKey(input: { vault: "tamper", name: "kek", kty: "oct" }) { kid } }');
    for (let i = 0; i < 30; i++) await auditor.data(WRAP, { k: { vault: 'tamper', name: 'kek' }, v: Buffer.alloc(16, i).toString('base64url') });
    const cp = await auditor.data<{ createCheckpoint: { treeSize: number; document: string } }>('mutation { createCheckpoint { treeSize document } }');
    checkpointSize = cp.createCheckpoint.treeSize;
    for (let i = 0; i < 5; i++) await auditor.data(WRAP, { k: { vault: 'tamper', name: 'kek' }, v: Buffer.alloc(24, i).toString('base64url') });

    files.checkpoint = join(work, 'checkpoint.json');
    writeFileSync(files.checkpoint, cp.createCheckpoint.document);
    const keys = await auditor.data<{ ledgerSigningKeys: Array<{ pem: string }> }>('{ ledgerSigningKeys { pem } }');
    files.key = join(work, 'key.pem');
    writeFileSync(files.key, keys.ledgerSigningKeys[0].pem);
    const response = await fetch(`${gateway.url}/ledger/export`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    exported = (await response.text()).trim().split('\n');
    superuser = ledgerSettling(new Client({ connectionString: db.adminUrl }));
    await superuser.connect();
  }, 120_000);

  afterAll(async () => {
    await superuser?.end();
    await gateway?.stop();
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const entryAt = (lines: string[], seq: number): LedgerEntry => {
    const entry = lines.map((l) => parseExportLine(l)).find((e) => e?.seq === seq);
    if (!entry) throw new Error(`no entry ${seq} in the export`);
    return entry;
  };
  const lineOf = (e: LedgerEntry): string =>
    JSON.stringify({
      ...e,
      recordedAt: e.recordedAt.toISOString(),
      prevHash: e.prevHash.toString('hex'),
      entryHash: e.entryHash.toString('hex'),
    });
  const rehash = (e: LedgerEntry): LedgerEntry => ({ ...e, entryHash: chainHash(e.prevHash, canonicalEntry(e.seq, e.recordedAt, e)) });
  const indexOf = (lines: string[], seq: number): number => lines.findIndex((l) => l.startsWith(`{"seq":${seq},`));

  async function verifyOffline(lines: string[]): Promise<{ code: number; out: string }> {
    const file = join(work, `export-${Math.random().toString(16).slice(2)}.ndjson`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await run('node', [CLI, 'ledger', 'verify', '--export', file, '--checkpoint', files.checkpoint, '--public-key', files.key]);
    return { code: result.code, out: result.stdout + result.stderr };
  }

  async function verifyServer(): Promise<Verification> {
    return (await auditor.data<{ verifyLedger: Verification }>(VERIFY)).verifyLedger;
  }

  async function asSuperuser(sql: string, params: unknown[] = []): Promise<void> {
    await superuser.query('BEGIN');
    try {
      // triggers do not fire in replica mode: the attacker with a superuser role
      await superuser.query('SET LOCAL session_replication_role = replica');
      await (params.length ? superuser.query(sql, params) : superuser.query(sql));
      await superuser.query('COMMIT');
    } catch (e) {
      await superuser.query('ROLLBACK');
      throw e;
    }
  }

  it('accepts the untouched ledger, online and offline', async () => {
    expect(checkpointSize).toBeGreaterThan(30);
    expect(await verifyOffline(exported)).toMatchObject({ code: 0, out: expect.stringContaining('ledger verify: OK') });
    expect(await verifyServer()).toMatchObject({ ok: true, firstBadSeq: null, checkpointsChecked: 1, signaturesChecked: 1 });
  });

  // Offline: the export file is tampered with.
  it.each([
    ['a changed field of an old entry', (l: string[]) => { l[indexOf(l, 5)] = l[indexOf(l, 5)].replace('"outcome":"success"', '"outcome":"denied"'); }, 5],
    ['a deleted old entry', (l: string[]) => { l.splice(indexOf(l, 8), 1); }, 8],
    ['a forged entry with a recomputed hash', (l: string[]) => { l[indexOf(l, 12)] = lineOf(rehash({ ...entryAt(l, 12), operation: 'unwrapKey', keyVersion: 7 })); }, 12],
    ['two swapped entries', (l: string[]) => { const i = indexOf(l, 15); [l[i], l[i + 1]] = [l[i + 1], l[i]]; }, 15],
    ['the newest entries cut off', (l: string[]) => { l.splice(indexOf(l, checkpointSize - 2)); }, -2],
  ])('the offline verifier names the first bad seq after %s', async (_name, tamper, firstBad) => {
    const expected = firstBad > 0 ? firstBad : checkpointSize + firstBad;
    const lines = [...exported];
    tamper(lines);
    const { code, out } = await verifyOffline(lines);
    expect(code).toBe(1);
    expect(out).toContain(`FAILED at seq ${expected}:`);
  });

  // Online: the throw-away database is tampered with, verified, and restored (truncation last: it is not undone).
  it('verifyLedger names the first bad seq after a changed field, a deletion, a forgery and a swap', async () => {
    const original = (seq: number): LedgerEntry => entryAt(exported, seq);

    await asSuperuser(`UPDATE ledger_entries SET outcome = 'denied' WHERE seq = 5`);
    expect(await verifyServer()).toMatchObject({ ok: false, firstBadSeq: 5 });
    await asSuperuser(`UPDATE ledger_entries SET outcome = $1 WHERE seq = 5`, [original(5).outcome]);
    expect(await verifyServer()).toMatchObject({ ok: true });

    await asSuperuser('DELETE FROM ledger_entries WHERE seq = 8');
    expect(await verifyServer()).toMatchObject({ ok: false, firstBadSeq: 8 });
    await asSuperuser(
      `INSERT INTO ledger_entries SELECT * FROM json_populate_record(NULL::ledger_entries, $1::json)`,
      [JSON.stringify(rowJson(exported, 8))],
    );
    expect(await verifyServer()).toMatchObject({ ok: true });

    const forged = rehash({ ...original(12), operation: 'unwrapKey', keyVersion: 7 });
    await asSuperuser('UPDATE ledger_entries SET operation = $1, key_version = $2, entry_hash = $3 WHERE seq = 12', [forged.operation, forged.keyVersion, forged.entryHash]);
    expect(await verifyServer()).toMatchObject({ ok: false, firstBadSeq: 12 });
    await asSuperuser('UPDATE ledger_entries SET operation = $1, key_version = $2, entry_hash = $3 WHERE seq = 12', [
      original(12).operation,
      original(12).keyVersion,
      original(12).entryHash,
    ]);
    expect(await verifyServer()).toMatchObject({ ok: true });

    const swap = 'UPDATE ledger_entries SET seq = 1000000 WHERE seq = 15; UPDATE ledger_entries SET seq = 15 WHERE seq = 16; UPDATE ledger_entries SET seq = 16 WHERE seq = 1000000';
    await asSuperuser(swap);
    expect(await verifyServer()).toMatchObject({ ok: false, firstBadSeq: 15 });
    await asSuperuser(swap);
    expect(await verifyServer()).toMatchObject({ ok: true });
  });

  it('verifyLedger catches the newest entries cut off through the signed checkpoint', async () => {
    await asSuperuser('DELETE FROM ledger_entries WHERE seq >= $1', [checkpointSize - 2]);
    const verdict = await verifyServer();
    expect(verdict).toMatchObject({ ok: false, firstBadSeq: checkpointSize - 2, headSeq: checkpointSize - 3 });
    expect(verdict.reason).toContain(`checkpoint ${checkpointSize}`);
  });
});

/** The stored row of entry `seq`, as JSON for json_populate_record (bytea as \x hex). */
function rowJson(exported: string[], seq: number): Record<string, unknown> {
  const e = parseExportLine(exported.find((l) => l.startsWith(`{"seq":${seq},`)) ?? '');
  if (!e) throw new Error(`no entry ${seq}`);
  return {
    seq: e.seq,
    recorded_at: e.recordedAt.toISOString(),
    principal_id: e.principalId,
    vault: e.vault,
    key_name: e.keyName,
    key_version: e.keyVersion,
    operation: e.operation,
    outcome: e.outcome,
    error_code: e.errorCode,
    request_id: e.requestId,
    trace_id: e.traceId,
    params_digest: e.paramsDigest,
    details: e.details,
    prev_hash: `\\x${e.prevHash.toString('hex')}`,
    entry_hash: `\\x${e.entryHash.toString('hex')}`,
  };
}
