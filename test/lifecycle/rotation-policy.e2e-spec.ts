import { Client } from 'pg';
import { LifecycleEvaluator, TickSummary } from '@keybridge/lifecycle';
import { admin, adminDatabase, createKey, GatewayClient, vaultWithOwner } from '@keybridge/testing';
import { waitFor } from '../escrow/support';
import { DAY, evaluatorWith, MovableClock } from './support';

const SET_POLICY = `mutation($v: String!, $n: String!, $p: RotationPolicyInput!) {
  setRotationPolicy(vault: $v, name: $n, policy: $p) { expiryTime rewrapEscrow lifetimeActions { action timeAfterCreate timeBeforeExpiry } } }`;
const GENERATE = 'mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { record { id } } }';

const sum = (summaries: TickSummary[], field: keyof TickSummary): number => summaries.reduce((n, s) => n + s[field], 0);

describe('rotation policies, with a clock the test moves and two evaluators standing for two workers', () => {
  const clock = new MovableClock();
  let workers: Array<{ evaluator: LifecycleEvaluator; close: () => Promise<void> }>;
  let db: Client;
  let vault: string;
  let owner: GatewayClient;
  // Scoped to this suite's vault: the moved clock must not expire other suites' keys.
  const tickBoth = (): Promise<TickSummary[]> => Promise.all(workers.map((w) => w.evaluator.tick([vault])));
  const events = async (kind: string, key: string): Promise<Array<{ key_version: number; data: Record<string, unknown> }>> =>
    (await db.query('SELECT key_version, data FROM key_events WHERE kind = $1 AND vault = $2 AND key_name = $3 ORDER BY id', [kind, vault, key])).rows;

  beforeAll(async () => {
    db = await adminDatabase();
    ({ vault, owner } = await vaultWithOwner('pool-a', 'life'));
    workers = [await evaluatorWith(clock), await evaluatorWith(clock)];
  }, 60_000);
  afterAll(async () => {
    for (const w of workers ?? []) await w.close();
    await db?.end();
  });

  it('refuses malformed policies with INVALID_ROTATION_POLICY', async () => {
    await createKey(owner, { vault, name: 'bad', kty: 'oct', size: 256 });
    for (const policy of [
      { expiryTime: '90 days', lifetimeActions: [] },
      { expiryTime: 'P30D', lifetimeActions: [{ action: 'rotate' }] },
      { expiryTime: 'P30D', lifetimeActions: [{ action: 'rotate', timeAfterCreate: 'P7D', timeBeforeExpiry: 'P1D' }] },
      { expiryTime: null, lifetimeActions: [{ action: 'notify', timeBeforeExpiry: 'P3D' }] },
      { expiryTime: 'P30D', lifetimeActions: [{ action: 'notify', timeAfterCreate: 'P3D' }] },
      { expiryTime: 'P30D', lifetimeActions: [{ action: 'rotate', timeBeforeExpiry: 'P40D' }] },
      { expiryTime: 'P30D', lifetimeActions: [{ action: 'explode', timeAfterCreate: 'P1D' }] },
      { expiryTime: 'P30D', lifetimeActions: [], rewrapEscrow: true },
    ]) {
      const result = await owner.request(SET_POLICY, { v: vault, n: 'bad', p: policy });
      expect([policy, result.errors?.[0].extensions?.code]).toEqual([policy, 'INVALID_ROTATION_POLICY']);
    }
  });

  it('rotates once when due (not twice with two workers), the new version carries the expiry, and the escrow re-wrap runs', async () => {
    await createKey(owner, { vault, name: 'kek', kty: 'oct', size: 256 });
    for (let i = 0; i < 5; i++) await owner.data(GENERATE, { i: { vault, key: 'kek', bits: 256, owner: 'life' } });
    await owner.data(SET_POLICY, {
      v: vault,
      n: 'kek',
      p: { expiryTime: 'P30D', lifetimeActions: [{ action: 'rotate', timeAfterCreate: 'P7D' }], rewrapEscrow: true },
    });

    clock.advance(1 * DAY);
    expect(sum(await tickBoth(), 'rotated')).toBe(0);

    clock.advance(7 * DAY);
    const at = clock.now();
    const first = await tickBoth();
    expect(sum(first, 'rotated')).toBe(1);
    expect(sum(first, 'rewrapJobs')).toBe(1);
    expect(sum(await tickBoth(), 'rotated')).toBe(0);

    const { key } = await owner.data<{ key: { version: number; latestVersion: number; exp: string } }>('query($v: String!) { key(vault: $v, name: "kek") { version latestVersion exp } }', { v: vault });
    expect(key.latestVersion).toBe(2);
    expect(Math.abs(new Date(key.exp).getTime() - (at.getTime() + 30 * DAY))).toBeLessThan(60_000);
    expect((await events('KeyRotated', 'kek')).map((e) => [e.key_version, e.data.reason])).toEqual([[2, 'policy']]);

    // The stack's worker runs the re-wrap job the policy started: every record ends under version 2.
    await waitFor('the escrow re-wrap to finish', 60_000, async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1 AND r.key_version = 1`,
        [vault],
      );
      return rows[0].n === 0 ? true : undefined;
    });
    await waitFor('RewrapJobFinished', 30_000, async () => ((await events('RewrapJobFinished', 'kek')).length === 1 ? true : undefined));
    const ledger = await db.query<{ operation: string; principal_id: string }>(
      `SELECT operation, principal_id FROM ledger_entries WHERE vault = $1 AND key_name = 'kek' AND operation IN ('rotateKey', 'eventKeyRotated', 'startRewrapJob') ORDER BY seq`,
      [vault],
    );
    expect(ledger.rows.map((r) => r.operation)).toEqual(['eventKeyRotated', 'rotateKey', 'startRewrapJob']);
    expect(ledger.rows[1].principal_id).toBe('lifecycle-scheduler');
  });

  it('notifies once at timeBeforeExpiry, and records KeyExpired once when the version expires', async () => {
    await createKey(owner, { vault, name: 'note', kty: 'oct', size: 256 });
    await owner.data(SET_POLICY, { v: vault, n: 'note', p: { expiryTime: 'P10D', lifetimeActions: [{ action: 'notify', timeBeforeExpiry: 'P2D' }] } });
    const exp = new Date(clock.now().getTime() + 5 * DAY);
    await owner.data('mutation($i: UpdateKeyInput!) { updateKey(input: $i) { version } }', { i: { vault, name: 'note', exp: exp.toISOString() } });

    clock.advance(2 * DAY);
    await tickBoth();
    expect(await events('KeyNearExpiry', 'note')).toHaveLength(0);
    clock.advance(1.5 * DAY);
    const near = await tickBoth();
    expect(sum(near, 'notified')).toBe(1);
    await tickBoth();
    expect((await events('KeyNearExpiry', 'note')).map((e) => e.key_version)).toEqual([1]);
    expect(await events('KeyExpired', 'note')).toHaveLength(0);

    clock.advance(2 * DAY);
    await tickBoth();
    await tickBoth();
    expect((await events('KeyExpired', 'note')).map((e) => e.key_version)).toEqual([1]);
  });

  it('records TransportKeyExpired once for an expired transport key', async () => {
    const { createTransportKey } = await owner.data<{ createTransportKey: { kid: string } }>(
      'mutation($v: String!) { createTransportKey(input: { vault: $v, size: 2048, expiresIn: 60 }) { kid } }',
      { v: vault },
    );
    expect(createTransportKey.kid).toBeTruthy();
    clock.advance(1 * DAY);
    await tickBoth();
    await tickBoth();
    const { rows } = await db.query("SELECT count(*)::int AS n FROM key_events WHERE kind = 'TransportKeyExpired' AND vault = $1", [vault]);
    expect(rows[0].n).toBe(1);
  });
});

describe('minDecryptVersion: raised by update, lowered only by an admin with a recorded reason', () => {
  const SET = 'mutation($v: String!, $n: String!, $ver: Int!, $r: String) { setMinDecryptVersion(vault: $v, name: $n, version: $ver, reason: $r) { minDecryptVersion } }';
  const WRAP = 'mutation($v: String!, $ver: String) { wrapKey(key: { vault: $v, name: "floor", version: $ver }, algorithm: "A256KW", value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") { kid } }';

  it('refuses everything below the floor; a lower floor needs admin and a reason', async () => {
    const { vault, owner } = await vaultWithOwner('pool-a', 'floor');
    await createKey(owner, { vault, name: 'floor', kty: 'oct', size: 256 });
    await owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "floor") { version } }', { v: vault });
    expect((await owner.data<{ setMinDecryptVersion: { minDecryptVersion: number } }>(SET, { v: vault, n: 'floor', ver: 2 })).setMinDecryptVersion.minDecryptVersion).toBe(2);
    expect((await owner.request(WRAP, { v: vault, ver: '1' })).errors?.[0].extensions?.code).toBe('OPERATION_NOT_ALLOWED');
    expect((await owner.request(WRAP, { v: vault, ver: '2' })).errors).toBeUndefined();
    expect((await owner.request(SET, { v: vault, n: 'floor', ver: 3 })).errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    expect((await owner.request(SET, { v: vault, n: 'floor', ver: 1, r: 'restore an old archive' })).errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const root = admin();
    const db = await adminDatabase();
    const { rows } = await db.query<{ name: string }>("SELECT name FROM principals WHERE 'admin' = ANY(global_permissions) ORDER BY created_at LIMIT 1");
    await root.data('mutation($p: String!, $v: String!) { setGrant(principal: $p, vault: $v, permissions: [update, get]) { vault } }', { p: rows[0].name, v: vault });
    expect((await root.request(SET, { v: vault, n: 'floor', ver: 1 })).errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    expect((await root.data<{ setMinDecryptVersion: { minDecryptVersion: number } }>(SET, { v: vault, n: 'floor', ver: 1, r: 'restore an old archive' })).setMinDecryptVersion.minDecryptVersion).toBe(1);
    const entries = await db.query<{ outcome: string; details: Record<string, unknown> }>(
      "SELECT outcome, details FROM ledger_entries WHERE vault = $1 AND operation = 'setMinDecryptVersion' ORDER BY seq",
      [vault],
    );
    await db.end();
    expect(entries.rows.map((r) => r.outcome)).toEqual(['success', 'failed', 'denied', 'failed', 'success']);
    expect(entries.rows[4].details).toMatchObject({ reason: 'restore an old archive', previous: 2 });
  });
});
