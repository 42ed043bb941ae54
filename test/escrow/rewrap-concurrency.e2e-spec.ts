import { randomBytes } from 'node:crypto';
import { TestingModule } from '@nestjs/testing';
import { CommandBus } from '@nestjs/cqrs';
import { RewrapJob, StartRewrapJobCommand } from '@keybridge/escrow';
import { GatewayClient } from '@keybridge/testing';
import { Client } from 'pg';
import { callerOf, GENERATE, generateKeys, PrivateJobStack, privateJobStack, releaseAll, replicate, sleep, waitFor, Workers } from './support';

/**
 * Two worker processes share one job by claiming disjoint ranges, while new deposits under the old version keep
 * arriving. Documented semantics: a job moves the records that matched its selector when it started (its snapshot);
 * deposits committed after the start are not part of it and stay under the wrapping they were deposited with.
 */
describe('re-wrap job: two workers, deposits during the job', () => {
  const RECORDS = 1200;
  let db: Client;
  let vault: string;
  let owner: GatewayClient;
  let principal: string;
  let workers: Workers;
  let library: TestingModule;
  const queue = `rewrap-conc-${randomBytes(4).toString('hex')}`;

  let stack: PrivateJobStack;

  beforeAll(async () => {
    stack = await privateJobStack('pool-b', 'conc', queue, { workers: { KEYBRIDGE_REWRAP_LEASE_SECONDS: '5' }, library: { KEYBRIDGE_REWRAP_RANGE_RECORDS: '100', KEYBRIDGE_REWRAP_SLOTS: '4' } });
    ({ db, vault, owner, principal, workers, library } = stack);
  }, 120_000);

  afterAll(() => stack?.close(), 60_000);

  it('moves exactly the snapshot, in disjoint ranges shared by both workers; later deposits keep their wrapping', async () => {
    const originals = await generateKeys(owner, { vault, key: 'kek', bits: 128, owner: 'conc' }, 40);
    await replicate(db, vault, RECORDS);
    await owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "kek") { kid } }', { v: vault });
    const [a, b] = await Promise.all([workers.spawn(), workers.spawn()]);

    const job: RewrapJob = await library
      .get(CommandBus)
      .execute(new StartRewrapJobCommand(await callerOf(library, principal), { vault, key: 'kek', allBelowVersion: 2 }, { vault, key: 'kek' }, 25, 200));
    expect(job.total).toBe(RECORDS);

    // Deposits under the old version while the job runs (generateDataKey with version 1, and depositWrappedKey).
    const late = new Map<string, string>();
    const running = async (): Promise<boolean> => {
      const { rows } = await db.query<{ status: string }>('SELECT status FROM rewrap_jobs WHERE id = $1', [job.id]);
      return rows[0].status === 'running';
    };
    while (late.size < 30 && (await running())) {
      const { generateDataKey } = await owner.data<{ generateDataKey: { plaintext: string; record: { id: string; keyVersion: number } } }>(GENERATE, {
        i: { vault, key: 'kek', version: '1', bits: 256, owner: 'late' },
      });
      expect(generateDataKey.record.keyVersion).toBe(1);
      late.set(generateDataKey.record.id, generateDataKey.plaintext);
      await sleep(100);
    }
    expect(late.size).toBeGreaterThan(0);

    await waitFor('the job to complete', 120_000, async () => ((await running()) ? undefined : true));
    const { rows: done } = await db.query<{ status: string; done: string; failed: string }>('SELECT status, done, failed FROM rewrap_jobs WHERE id = $1', [job.id]);
    expect(done[0]).toEqual({ status: 'completed', done: String(RECORDS), failed: '0' });

    // Both worker processes claimed ranges; the committed batches cover disjoint seq intervals, once each.
    const { rows: claimers } = await db.query<{ claimed_by: string }>('SELECT DISTINCT claimed_by FROM rewrap_job_ranges WHERE job_id = $1', [job.id]);
    const pids = new Set(claimers.map((c) => Number(c.claimed_by.split(':').pop())));
    expect(pids).toEqual(new Set([a.pid, b.pid]));
    const { rows: batches } = await db.query<{ from_seq: number; to_seq: number; moved: number }>(
      `SELECT (details->>'fromSeq')::bigint AS from_seq, (details->>'toSeq')::bigint AS to_seq, (details->>'moved')::int AS moved
         FROM ledger_entries WHERE operation = 'rewrapBatch' AND details->>'jobId' = $1 ORDER BY 1`,
      [job.id],
    );
    for (let i = 1; i < batches.length; i++) expect(Number(batches[i].from_seq)).toBeGreaterThan(Number(batches[i - 1].to_seq));
    expect(batches.reduce((n, x) => n + Number(x.moved), 0)).toBe(RECORDS);

    // Snapshot records moved once; late deposits untouched, still under version 1.
    const { rows: state } = await db.query<{ owner: string; key_version: number; rewrap_count: number; n: string }>(
      `SELECT r.owner, r.key_version, r.rewrap_count, count(*) AS n FROM escrow_records r JOIN vaults v ON v.id = r.vault_id
        WHERE v.name = $1 GROUP BY 1, 2, 3 ORDER BY 1`,
      [vault],
    );
    expect(state).toEqual([
      { owner: 'conc', key_version: 2, rewrap_count: 1, n: String(RECORDS) },
      { owner: 'late', key_version: 1, rewrap_count: 0, n: String(late.size) },
    ]);
    const lateReleased = await releaseAll(owner, [...late].map(([id, expected]) => ({ id, expected })));
    expect(lateReleased.mismatches).toBe(0);
    const originalsReleased = await releaseAll(owner, [...originals].map(([id, expected]) => ({ id, expected })));
    expect(originalsReleased).toEqual({ mismatches: 0, versions: new Set([`/vaults/${vault}/keys/kek/2`]) });
  }, 300_000);
});
