import { randomBytes } from 'node:crypto';
import { CqrsModule, CommandBus } from '@nestjs/cqrs';
import { Test, TestingModule } from '@nestjs/testing';
import { AuthModule } from '@keybridge/auth';
import { HsmModule } from '@keybridge/hsm';
import { KeysModule } from '@keybridge/keys';
import { LedgerModule } from '@keybridge/ledger';
import { AppConfig, DatabaseModule, PlatformConfigModule } from '@keybridge/platform';
import { adminDatabase, createKey, GatewayClient, ledgerRows } from '@keybridge/testing';
import { MigrationConfig, StartVaultMigrationCommand, TransferModule, VaultMigrationView } from '@keybridge/transfer';
import { Client } from 'pg';
import { callerOf, freePort, PrivateRedis, sleep, waitFor, workerEnv, Workers } from '../escrow/support';
import { testPools } from '../hsm/hsm-pools';
import { vaultsWithOwner, WRAP } from './support';

const MIGRATION = `query($id: String!) { vaultMigration(id: $id) { id state total pending done failed skipped items { keyName state versions errorCode attempts } } }`;
const START = 'mutation($i: StartVaultMigrationInput!) { startVaultMigration(input: $i) { id state total pending skipped } }';

interface Migration {
  id: string;
  state: string;
  total: number;
  pending: number;
  done: number;
  failed: number;
  skipped: number;
  items: Array<{ keyName: string; state: string; versions: number | null; errorCode: string | null; attempts: number }>;
}

async function seed(owner: GatewayClient, vault: string, exportable: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < exportable; i++) {
    const name = `k${String(i).padStart(2, '0')}`;
    const kind = i % 3 === 0 ? { kty: 'EC', curve: 'P-256' } : { kty: 'oct', size: 256 };
    await createKey(owner, { vault, name, exportable: true, ...kind });
    if (i % 4 === 1) await owner.data('mutation($v: String!, $n: String!) { rotateKey(vault: $v, name: $n) { version } }', { v: vault, n: name });
    names.push(name);
  }
  await createKey(owner, { vault, name: 'pinned', kty: 'oct', size: 256 });
  await createKey(owner, { vault, name: 'k1curve', kty: 'EC', curve: 'secp256k1', exportable: true });
  return names;
}

describe('whole-vault migration through the gateway and the stack worker', () => {
  it('moves every exportable key, lists the others as skipped with the reason, and reports per-key outcome', async () => {
    const { vaults: [source, target], owner } = await vaultsWithOwner(['pool-a', 'pool-n'], 'mig');
    const names = await seed(owner, source, 4);
    const { startVaultMigration } = await owner.data<{ startVaultMigration: { id: string; total: number; skipped: number } }>(START, {
      i: { sourceVault: source, targetVault: target, mode: 'move' },
    });
    expect(startVaultMigration).toMatchObject({ total: 6, skipped: 2 });
    const done = await waitFor('the migration to complete', 60_000, async () => {
      const { vaultMigration } = await owner.data<{ vaultMigration: Migration }>(MIGRATION, { id: startVaultMigration.id });
      return vaultMigration.state === 'completed' ? vaultMigration : undefined;
    });
    expect(done).toMatchObject({ done: 4, failed: 0, skipped: 2, pending: 0 });
    expect(done.items.find((i) => i.keyName === 'pinned')).toMatchObject({ state: 'skipped', errorCode: 'KEY_NOT_EXPORTABLE' });
    expect(done.items.find((i) => i.keyName === 'k1curve')).toMatchObject({ state: 'skipped', errorCode: 'TRANSFER_NOT_POSSIBLE' });
    for (const name of names) {
      const { key } = await owner.data<{ key: { enabled: boolean } }>('query($v: String!, $n: String!) { key(vault: $v, name: $n) { enabled } }', { v: source, n: name });
      expect(key.enabled).toBe(false);
    }
  });

  it('is refused with typed errors: same vault, unknown mode, missing permissions, unknown job', async () => {
    const { vaults: [source, target], owner } = await vaultsWithOwner(['pool-a', 'pool-b'], 'mig-bad');
    for (const [input, code] of [
      [{ sourceVault: source, targetVault: source }, 'INVALID_ARGUMENT'],
      [{ sourceVault: source, targetVault: target, mode: 'teleport' }, 'INVALID_ARGUMENT'],
      [{ sourceVault: source, targetVault: 'no-such-vault' }, 'VAULT_NOT_FOUND'],
    ] as const) {
      expect((await owner.request(START, { i: input })).errors?.[0].extensions?.code).toBe(code);
    }
    expect((await owner.request(MIGRATION, { id: '00000000-0000-4000-8000-000000000000' })).errors?.[0].extensions?.code).toBe('MIGRATION_JOB_NOT_FOUND');
    expect((await owner.request(MIGRATION, { id: 'not-a-uuid' })).errors?.[0].extensions?.code).toBe('MIGRATION_JOB_NOT_FOUND');
  });
});

/**
 * Crash safety: the test's own worker processes on a private Redis and queue run one migration while the test
 * SIGKILLs the worker mid-way several times (a new one is started each time). The migration must finish with every
 * key in the target exactly once, usable, and every step in the ledger of both vaults.
 */
describe('whole-vault migration under SIGKILL of the worker', () => {
  const queue = `migration-crash-${randomBytes(4).toString('hex')}`;
  let db: Client;
  let redis: PrivateRedis;
  let workers: Workers;
  let library: TestingModule;

  beforeAll(async () => {
    db = await adminDatabase();
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const extra = { KEYBRIDGE_MIGRATION_QUEUE: queue, KEYBRIDGE_MIGRATION_LEASE_SECONDS: '3', KEYBRIDGE_MIGRATION_RECONCILE_SECONDS: '1' };
    workers = new Workers(workerEnv(redis.url, `rewrap-${queue}`, extra));
    const env = { ...process.env, REDIS_URL: redis.url, ...extra };
    library = await Test.createTestingModule({
      imports: [PlatformConfigModule, DatabaseModule, CqrsModule.forRoot(), HsmModule.forRoot(testPools()), LedgerModule, AuthModule, KeysModule, TransferModule],
    })
      .overrideProvider(AppConfig)
      .useValue(AppConfig.fromEnv(env))
      .overrideProvider(MigrationConfig)
      .useValue(MigrationConfig.fromEnv(env))
      .compile();
    await library.init();
  }, 120_000);

  afterAll(async () => {
    await workers?.stopAll();
    await library?.close();
    await redis?.stop();
    await db?.end();
  }, 60_000);

  it('resumes after SIGKILL and finishes with no key missing and none duplicated', async () => {
    const { vaults: [source, target], owner } = await vaultsWithOwner(['pool-a', 'pool-b'], 'mig-crash');
    // Both pools are SoftHSM: secp256k1 moves too; only the non-exportable key stays.
    const seeded = await seed(owner, source, 40);
    const aesNames = seeded.filter((_n, i) => i % 3 !== 0);
    const names = [...seeded, 'k1curve'].sort();
    const { rows: [{ name: principal }] } = await db.query<{ name: string }>(
      'SELECT p.name FROM grants g JOIN principals p ON p.id = g.principal_id JOIN vaults v ON v.id = g.vault_id WHERE v.name = $1',
      [source],
    );
    const before = new Map<string, string>();
    const value = randomBytes(32).toString('base64url');
    for (const name of aesNames) {
      before.set(name, (await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault: source, name }, a: 'A256KW', v: value })).wrapKey.value);
    }

    await workers.spawn();
    const job: VaultMigrationView = await library.get(CommandBus).execute(new StartVaultMigrationCommand(await callerOf(library, principal), { sourceVault: source, targetVault: target }));
    const progress = async (): Promise<{ state: string; done: number }> => {
      const { rows } = await db.query<{ state: string; done: number }>(
        `SELECT j.state, (SELECT count(*) FROM migration_items i WHERE i.job_id = j.id AND i.state = 'done')::int AS done FROM migration_jobs j WHERE j.id = $1`,
        [job.id],
      );
      return rows[0];
    };
    let kills = 0;
    while ((await progress()).state === 'running' && kills < 4) {
      await waitFor('a key to move', 60_000, async () => ((await progress()).done > kills * 2 || (await progress()).state !== 'running' ? true : undefined));
      await sleep(Math.random() * 100);
      const victim = [...workers.alive][0];
      if (!victim) break;
      workers.kill(victim);
      kills++;
      await workers.spawn();
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    await waitFor('the migration to complete', 120_000, async () => ((await progress()).state === 'completed' ? true : undefined));

    const items = await db.query<{ key_name: string; state: string }>('SELECT key_name, state FROM migration_items WHERE job_id = $1 ORDER BY key_name', [job.id]);
    expect(items.rows.filter((i) => i.state === 'done').map((i) => i.key_name)).toEqual(names);
    const moved = await db.query<{ name: string; versions: number }>(
      `SELECT k.name, (SELECT count(*) FROM key_versions kv WHERE kv.key_id = k.id)::int AS versions FROM keys k JOIN vaults v ON v.id = k.vault_id WHERE v.name = $1 ORDER BY k.name`,
      [target],
    );
    expect(moved.rows.map((r) => r.name)).toEqual(names);
    for (const row of moved.rows) expect(row.versions).toBe(seeded.indexOf(row.name) % 4 === 1 ? 2 : 1);
    for (const [name, wrapped] of before) {
      expect((await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault: target, name }, a: 'A256KW', v: value })).wrapKey.value).toBe(wrapped);
    }

    const sourceLedger = await ledgerRows(db, source);
    const targetLedger = await ledgerRows(db, target);
    const successes = (rows: typeof sourceLedger, op: string) => rows.filter((r) => r.operation === op && r.outcome === 'success').map((r) => r.key_name);
    expect(successes(sourceLedger, 'transferKey').sort()).toEqual(names);
    expect(successes(targetLedger, 'transferKeyIn').sort()).toEqual(names);
    expect(successes(sourceLedger, 'startVaultMigration')).toHaveLength(1);
    expect(successes(targetLedger, 'vaultMigrationIn')).toHaveLength(1);
    expect(successes(sourceLedger, 'vaultMigrationCompleted')).toHaveLength(1);
    expect(successes(targetLedger, 'vaultMigrationCompleted')).toHaveLength(1);
    expect(sourceLedger.filter((r) => r.operation === 'securityOfficerSession').length).toBeGreaterThanOrEqual(names.length);
  });
});
