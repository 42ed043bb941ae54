import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadPoolsFile, PoolConfig, readSecret } from '@keybridge/hsm';
import { adminDatabase, createKey, GatewayClient, ledgerSettling, requireEnv, vaultWithOwner } from '@keybridge/testing';
import { GatewayProcess, PrivatePostgres, waitFor } from './support/stack';

const WRAP = 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }';

/** Objects on the token carrying this CKA_LABEL, as OpenSC's pkcs11-tool (not our code) sees them. */
function objectsLabelled(pool: PoolConfig, label: string): string[] {
  const listing = execFileSync(
    'pkcs11-tool',
    ['--module', pool.module, '--token-label', pool.tokenLabel, '--login', '--pin', readSecret(pool.pin, 'PIN'), '--list-objects'],
    { env: { ...process.env, ...pool.environment }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return listing.split(/\n(?=\S)/).filter((block) => new RegExp(`label:\\s+${label}\\n`).test(`${block}\n`));
}

describe('fail-closed: no HSM object and no result without a ledger entry', () => {
  let db: Client;

  beforeAll(async () => {
    db = await adminDatabase();
  });

  afterAll(() => db.end());

  it.each([
    ['createKey', async (owner: GatewayClient, vault: string) => owner.request('mutation($v: String!) { createKey(input: { vault: $v, name: "k2", kty: "EC" }) { kid } }', { v: vault }), 'k2/1'],
    ['rotateKey', async (owner: GatewayClient, vault: string) => owner.request('mutation($v: String!) { rotateKey(vault: $v, name: "k1") { kid } }', { v: vault }), 'k1/2'],
  ])('%s whose ledger entry cannot be written leaves no HSM object behind', async (_op, call, label) => {
    const pool = loadPoolsFile(requireEnv('KEYBRIDGE_POOLS_FILE')).find((p) => p.name === 'pool-a') as PoolConfig;
    const { vault, owner } = await vaultWithOwner('pool-a', 'nohsm');
    await createKey(owner, { vault, name: 'k1', kty: 'EC' });
    expect(objectsLabelled(pool, `${vault}/k1/1`)).toHaveLength(2);
    const fn = `refuse_${vault.replace(/-/g, '_')}`;
    // The ledger refuses entries of this vault only, so concurrent suites are unaffected.
    await db.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.vault = '${vault}' THEN RAISE EXCEPTION 'ledger unwritable (test)'; END IF; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON ledger_queue FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    try {
      const result = await call(owner, vault);
      expect(result.errors?.[0].extensions?.code).toBe('LEDGER_UNAVAILABLE');
      expect(result.data ?? null).toBeNull();
    } finally {
      await db.query(`DROP TRIGGER ${fn} ON ledger_queue`);
      await db.query(`DROP FUNCTION ${fn}()`);
    }
    // the key was generated in the HSM before the transaction failed, and destroyed again
    expect(objectsLabelled(pool, `${vault}/${label}`)).toEqual([]);
    expect(objectsLabelled(pool, `${vault}/k1/1`)).toHaveLength(2);
  });

  describe('while the Postgres server is stopped and restarted under load', () => {
    let work: string;
    let pg: PrivatePostgres;
    let gateway: GatewayProcess;
    let owner: GatewayClient;
    let auditor: GatewayClient;
    let vault: string;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'kb-faults-'));
      pg = await PrivatePostgres.start();
      const { env, token } = await pg.keybridgeDatabase(work);
      gateway = await GatewayProcess.start(env);
      auditor = gateway.client(token);
      vault = `faults-${randomBytes(3).toString('hex')}`;
      await auditor.data('mutation($v: String!) { createVault(name: $v, pool: "pool-b") { name } }', { v: vault });
      await auditor.data('mutation { createPrincipal(name: "loader") { id } }');
      const { createApiToken } = await auditor.data<{ createApiToken: { token: string } }>('mutation { createApiToken(principal: "loader") { token } }');
      await auditor.data('mutation($v: String!) { setGrant(principal: "loader", vault: $v, permissions: [create, wrapKey]) { vault } }', { v: vault });
      owner = gateway.client(createApiToken.token);
      await owner.data('mutation($v: String!) { createKey(input: { vault: $v, name: "kek", kty: "oct" }) { kid } }', { v: vault });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop();
      await pg?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('every operation that returned success has exactly one entry; the chain still verifies', async () => {
      const outcomes = new Map<string, { ok: boolean; code: string; phase: 'before' | 'down' | 'after' }>();
      let phase: 'before' | 'down' | 'after' = 'before';
      let stop = false;
      let counter = 0;
      const loop = async (): Promise<void> => {
        while (!stop) {
          const requestId = `fc-${counter++}`;
          const at = phase;
          try {
            const response = await fetch(`${gateway.url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}`, 'x-request-id': requestId },
              body: JSON.stringify({ query: WRAP, variables: { k: { vault, name: 'kek' }, v: randomBytes(16).toString('base64url') } }),
            });
            const body = (await response.json()) as { data?: { wrapKey?: { value?: string } } | null; errors?: Array<{ extensions?: { code?: string } }> };
            const ok = typeof body.data?.wrapKey?.value === 'string' && !body.errors?.length;
            outcomes.set(requestId, { ok, code: ok ? 'OK' : (body.errors?.[0]?.extensions?.code ?? 'NO_DATA'), phase: at });
            if (!ok) await new Promise((r) => setTimeout(r, 20));
          } catch {
            outcomes.set(requestId, { ok: false, code: 'TRANSPORT', phase: at });
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      const loops = Array.from({ length: 8 }, () => loop());
      const successes = (p: string): number => [...outcomes.values()].filter((o) => o.ok && o.phase === p).length;
      await waitFor('successes before the outage', async () => (successes('before') >= 50 ? true : undefined));
      phase = 'down';
      await pg.stopServer();
      await new Promise((r) => setTimeout(r, 1500));
      await pg.startServer();
      phase = 'after';
      await waitFor('successes after the restart', async () => (successes('after') >= 50 ? true : undefined), 60_000);
      stop = true;
      await Promise.all(loops);

      const failures = [...outcomes.values()].filter((o) => !o.ok);
      expect(failures.length).toBeGreaterThan(0);
      expect(gateway.alive).toBe(true);

      const check = ledgerSettling(new Client({ connectionString: pg.adminUrl('keybridge') }));
      await check.connect();
      try {
        const { rows } = await check.query<{ request_id: string; outcome: string; n: string }>(
          `SELECT request_id, outcome, count(*) AS n FROM ledger_entries WHERE operation = 'wrapKey' AND request_id LIKE 'fc-%' GROUP BY 1, 2`,
        );
        const entries = new Map<string, Array<{ outcome: string; n: number }>>();
        for (const r of rows) entries.set(r.request_id, [...(entries.get(r.request_id) ?? []), { outcome: r.outcome, n: Number(r.n) }]);
        const succeeded = [...outcomes.entries()].filter(([, o]) => o.ok).map(([id]) => id);
        // every success is recorded, exactly once, as a success
        const unrecorded = succeeded.filter((id) => JSON.stringify(entries.get(id)) !== JSON.stringify([{ outcome: 'success', n: 1 }]));
        expect(unrecorded).toEqual([]);
        // and no request was recorded twice, whatever its outcome
        expect(rows.filter((r) => Number(r.n) > 1)).toEqual([]);
        expect(succeeded.length).toBeGreaterThanOrEqual(100);
      } finally {
        await check.end();
      }
      const verdict = await auditor.data<{ verifyLedger: { ok: boolean; reason: string | null } }>('{ verifyLedger { ok reason } }');
      expect(verdict.verifyLedger).toEqual({ ok: true, reason: null });
    }, 180_000);
  });
});
