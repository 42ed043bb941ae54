import { randomBytes } from 'node:crypto';
import { TestingModule } from '@nestjs/testing';
import { CommandBus } from '@nestjs/cqrs';
import { RewrapJob, StartRewrapJobCommand } from '@keybridge/escrow';
import { GatewayClient } from '@keybridge/testing';
import { Client } from 'pg';
import { callerOf, generateKeys, PrivateJobStack, privateJobStack, PrivateRedis, releaseAll, replicate, sleep, waitFor, Workers } from './support';

/**
 * Crash safety: the test's own worker processes (and its own Redis) run one job while the test SIGKILLs a worker
 * at random moments at least ten times (each is replaced at once) and restarts Redis once (the queue is lost; the
 * workers' reconciler re-enqueues from Postgres). The job must complete with every record moved exactly once.
 */
describe('re-wrap job under SIGKILL and a Redis restart', () => {
  const RECORDS = 2500;
  let db: Client;
  let vault: string;
  let owner: GatewayClient;
  let principal: string;
  let redis: PrivateRedis;
  let workers: Workers;
  let library: TestingModule;
  const queue = `rewrap-crash-${randomBytes(4).toString('hex')}`;

  let stack: PrivateJobStack;

  beforeAll(async () => {
    stack = await privateJobStack('pool-a', 'crash', queue, { library: { KEYBRIDGE_REWRAP_RANGE_RECORDS: '150', KEYBRIDGE_REWRAP_SLOTS: '4' } });
    ({ db, vault, owner, principal, redis, workers, library } = stack);
  }, 120_000);

  afterAll(() => stack?.close(), 60_000);

  it('completes: 0 records lost, 0 wrapped twice, ledger counts equal records moved', async () => {
    const originals = await generateKeys(owner, { vault, key: 'kek', bits: 256, owner: 'crash' }, 120);
    await replicate(db, vault, RECORDS);
    await owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "kek") { kid } }', { v: vault });

    await Promise.all([workers.spawn(), workers.spawn(), workers.spawn()]);
    const caller = await callerOf(library, principal);
    const job: RewrapJob = await library
      .get(CommandBus)
      .execute(new StartRewrapJobCommand(caller, { vault, key: 'kek', fromVersions: [1] }, { vault, key: 'kek' }, 20, 120));
    expect(job.total).toBe(RECORDS);

    const status = async (): Promise<{ status: string; done: number }> => {
      const { rows } = await db.query<{ status: string; done: string }>('SELECT status, done FROM rewrap_jobs WHERE id = $1', [job.id]);
      return { status: rows[0].status, done: Number(rows[0].done) };
    };
    let kills = 0;
    let redisRestarted = false;
    while ((await status()).status === 'running' && kills < 10) {
      await sleep(700 + Math.random() * 1300);
      const victims = [...workers.alive];
      const victim = victims[Math.floor(Math.random() * victims.length)];
      if (!victim) continue;
      workers.kill(victim);
      kills++;
      void workers.spawn(false);
      if (kills === 5) {
        await redis.stop();
        await sleep(500);
        await redis.start();
        redisRestarted = true;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(redisRestarted).toBe(true);
    // Top up to two live workers, then let the job finish.
    while (workers.alive.size < 2) await workers.spawn();
    const final = await waitFor('the job to complete', 150_000, async () => {
      const s = await status();
      return s.status === 'running' ? undefined : s;
    });
    expect(final).toEqual({ status: 'completed', done: RECORDS });

    const { rows: records } = await db.query<{ n: string; off: string; twice: string; never: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE key_version <> 2) AS off, count(*) FILTER (WHERE rewrap_count > 1) AS twice,
              count(*) FILTER (WHERE rewrap_count = 0) AS never
         FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1`,
      [vault],
    );
    expect(records[0]).toEqual({ n: String(RECORDS), off: '0', twice: '0', never: '0' });
    const { rows: ledger } = await db.query<{ moved: string; entries: string }>(
      `SELECT COALESCE(sum((details->>'moved')::int), 0) AS moved, count(*) AS entries FROM ledger_entries
        WHERE operation = 'rewrapBatch' AND details->>'jobId' = $1`,
      [job.id],
    );
    expect(Number(ledger[0].moved)).toBe(RECORDS);
    const { rows: completed } = await db.query("SELECT 1 FROM ledger_entries WHERE operation = 'rewrapJobCompleted' AND details->>'jobId' = $1", [job.id]);
    expect(completed).toHaveLength(1);

    // Every original and a sample of copies release to the data key they held before the job.
    const { rows: sample } = await db.query<{ id: string; src: string | null }>(
      `SELECT r.id, r.labels->>'src' AS src FROM escrow_records r JOIN vaults v ON v.id = r.vault_id
        WHERE v.name = $1 AND (r.origin = 'generated' OR random() < 0.03)`,
      [vault],
    );
    const released = await releaseAll(owner, sample.map((r) => ({ id: r.id, expected: originals.get(r.src ?? r.id) as string })));
    expect(released.mismatches).toBe(0);
    expect([...released.versions]).toEqual([`/vaults/${vault}/keys/kek/2`]);
  }, 300_000);
});
