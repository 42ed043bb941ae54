import { TestingModule } from '@nestjs/testing';
import { EscrowPurger } from '@keybridge/escrow';
import { admin, adminDatabase, createKey, GatewayClient, vaultWithOwner } from '@keybridge/testing';
import { Client } from 'pg';
import { waitFor } from '../escrow/support';
import { lifecycleLibrary, MovableClock } from './support';

const GENERATE = 'mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { plaintext record { id expiresAt } } }';
const RELEASE = 'mutation($id: ID!) { releaseDataKey(id: $id) { plaintext } }';
const LIFETIME = 'mutation($v: String!, $k: String!, $s: Int) { setEscrowLifetime(vault: $v, key: $k, seconds: $s) }';

describe('wrapped-key lifetimes: expired escrow records are not released, and the purge keeps their ledger history', () => {
  let vault: string;
  let owner: GatewayClient;
  let db: Client;
  let library: TestingModule;

  beforeAll(async () => {
    ({ vault, owner } = await vaultWithOwner('pool-a', 'ttl'));
    await createKey(owner, { vault, name: 'kek', kty: 'oct', size: 256 });
    db = await adminDatabase();
    library = await lifecycleLibrary(new MovableClock());
  }, 60_000);
  afterAll(async () => {
    await library?.close();
    await db?.end();
  });

  const generate = async (extra: Record<string, unknown> = {}) =>
    (await owner.data<{ generateDataKey: { plaintext: string; record: { id: string; expiresAt: string | null } } }>(GENERATE, { i: { vault, key: 'kek', bits: 256, owner: 'ttl', ...extra } })).generateDataKey;

  it('refuses a lifetime that has ended and a nonsensical default', async () => {
    expect((await owner.request(GENERATE, { i: { vault, key: 'kek', bits: 256, owner: 'ttl', expiresAt: new Date(Date.now() - 1000).toISOString() } })).errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    expect((await owner.request(LIFETIME, { v: vault, k: 'kek', s: 0 })).errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
  });

  it('releases before expiry, refuses after (ESCROW_RECORD_EXPIRED), purges the bytes, keeps every ledger entry', async () => {
    const timed = await generate({ expiresAt: new Date(Date.now() + 2500).toISOString() });
    const forever = await generate();
    expect(forever.record.expiresAt).toBeNull();
    await owner.data(LIFETIME, { v: vault, k: 'kek', s: 2 });
    const defaulted = await generate();
    expect(new Date(defaulted.record.expiresAt as string).getTime()).toBeGreaterThan(Date.now());
    await owner.data(LIFETIME, { v: vault, k: 'kek', s: null });

    expect((await owner.data<{ releaseDataKey: { plaintext: string } }>(RELEASE, { id: timed.record.id })).releaseDataKey.plaintext).toBe(timed.plaintext);
    await waitFor('the lifetimes to end', 10_000, async () => (Date.now() > new Date(timed.record.expiresAt as string).getTime() + 200 ? true : undefined));
    for (const id of [timed.record.id, defaulted.record.id]) {
      expect((await owner.request(RELEASE, { id })).errors?.[0].extensions?.code).toBe('ESCROW_RECORD_EXPIRED');
    }
    expect((await owner.data<{ releaseDataKey: { plaintext: string } }>(RELEASE, { id: forever.record.id })).releaseDataKey.plaintext).toBe(forever.plaintext);

    // The stack's own worker purges too (every minute): together they purge exactly these two.
    expect(await library.get(EscrowPurger).purge([vault])).toBeLessThanOrEqual(2);
    const { rows } = await db.query<{ id: string; wrapped: Buffer | null; purged_at: Date | null }>(
      'SELECT r.id, r.wrapped, r.purged_at FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1 ORDER BY r.seq',
      [vault],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(timed.record.id)).toMatchObject({ wrapped: null, purged_at: expect.any(Date) });
    expect(byId.get(defaulted.record.id)).toMatchObject({ wrapped: null });
    expect(byId.get(forever.record.id)?.wrapped).not.toBeNull();
    expect((await owner.request(RELEASE, { id: timed.record.id })).errors?.[0].extensions?.code).toBe('ESCROW_RECORD_EXPIRED');

    const history = await db.query<{ operation: string; outcome: string }>(
      `SELECT operation, outcome FROM ledger_entries WHERE details->>'recordId' = $1 ORDER BY seq`,
      [timed.record.id],
    );
    expect(history.rows.map((r) => `${r.operation}:${r.outcome}`)).toEqual([
      'escrowGenerateDataKey:success',
      'escrowRelease:success',
      'escrowRelease:failed',
      'escrowPurge:success',
      'escrowRelease:failed',
    ]);
    const { verifyLedger } = await admin().data<{ verifyLedger: { ok: boolean } }>('{ verifyLedger { ok } }');
    expect(verifyLedger.ok).toBe(true);
  });
});
