import { randomBytes } from 'node:crypto';
import { adminDatabase, adminToken, createKey, freePort, GatewayClient, vaultWithOwner } from '@keybridge/testing';
import { LedgerRow, toEntry, verifyChain } from '@keybridge/ledger';
import { Client } from 'pg';
import { generateKeys, PrivateRedis, releaseAll, replicate, waitFor, Workers } from '../escrow/support';
import { gql, jobLogLines, Outcome, ScaleGateway, sleep, workerIdentity } from './support';

/**
 * Scale-out (issue #7): 2 gateway and 2 worker processes of this test on the shared Postgres and HSM pools, with a
 * private Redis and private queue names (the stack's own worker never sees this test's jobs).
 *  - 16 clients send wrapKey/unwrapKey/generateDataKey/encrypt to both gateways alternately, each request with its
 *    own x-request-id; a connection failure is retried (new request id) on the other gateway.
 *  - meanwhile one re-wrap job started through gateway A runs on both workers (rate-limited so it lasts seconds);
 *  - once worker 2 has finished a range, worker 2 is SIGKILLed; gateway B gets SIGTERM (or SIGKILL, see
 *    SCALE_OUT_GATEWAY_SIGNAL) at least 3 s into the load; the load goes on for 3 s after B exited and until the job ends.
 * Afterwards: every operation that returned success has exactly one success ledger entry with its request id (and
 * unwrapKey gave back what wrapKey wrapped, across gateways), the job completed with every record moved exactly once
 * by the two workers (records under the new version, rewrap_count 1 everywhere, ledger `moved` sum, releases match),
 * the ledger verifies as one chain (verifyLedger through gateway A, and locally), and the job was worked in parallel:
 * never more live range leases than slots, and both workers holding leases at the same time.
 * A JSON report (counts, per-gateway split, ranges per worker, the workers' job log, timings) goes to the console.
 */
describe('scale-out: 2 gateways + 2 workers on one Postgres and one Redis', () => {
  const CLIENTS = 16;
  const RECORDS = 2400;
  const DISTINCT = 48;
  const RATE = 800;
  const MIN_LOAD_MS = 6000;
  const AFTER_STOP_MS = 3000;
  const STOP_GATEWAY_AFTER_MS = 3000;
  /** How gateway B is stopped: SIGTERM (graceful, default) or SIGKILL (SCALE_OUT_GATEWAY_SIGNAL=SIGKILL). */
  const GATEWAY_SIGNAL: NodeJS.Signals = process.env.SCALE_OUT_GATEWAY_SIGNAL === 'SIGKILL' ? 'SIGKILL' : 'SIGTERM';
  const tag = randomBytes(4).toString('hex');

  let db: Client;
  let redis: PrivateRedis;
  let workers: Workers;
  const gateways: ScaleGateway[] = [];
  let load: { vault: string; owner: GatewayClient };
  let job: { vault: string; owner: GatewayClient; originals: Map<string, string> };
  const started = Date.now();

  beforeAll(async () => {
    db = await adminDatabase();
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: redis.url,
      KEYBRIDGE_REWRAP_QUEUE: `scale-rewrap-${tag}`,
      KEYBRIDGE_MIGRATION_QUEUE: `scale-migration-${tag}`,
      KEYBRIDGE_WEBHOOK_QUEUE: `scale-webhooks-${tag}`,
      KEYBRIDGE_REWRAP_SLOTS: '4',
      KEYBRIDGE_REWRAP_RANGE_RECORDS: '100',
      KEYBRIDGE_REWRAP_CONCURRENCY: '2',
      KEYBRIDGE_REWRAP_LEASE_SECONDS: '3',
      KEYBRIDGE_REWRAP_RECONCILE_SECONDS: '1',
      KEYBRIDGE_REWRAP_CHUNK: '16',
      KEYBRIDGE_DB_POOL_SIZE: '8',
      UV_THREADPOOL_SIZE: '4',
      LOG_LEVEL: 'warn',
    };
    // Workers log at info: their slot summaries and reconciler kicks go into the report.
    workers = new Workers({ ...env, LOG_LEVEL: 'info' });
    gateways.push(new ScaleGateway('A', await freePort(), env), new ScaleGateway('B', await freePort(), env));

    // Processes start while the vaults are prepared through the stack's gateway.
    const prepare = async (): Promise<void> => {
      load = await vaultWithOwner('pool-a', 'scale-load');
      await createKey(load.owner, { vault: load.vault, name: 'dek', kty: 'oct', size: 256 });
      const j = await vaultWithOwner('pool-a', 'scale-job');
      await createKey(j.owner, { vault: j.vault, name: 'kek', kty: 'oct', size: 256 });
      const originals = await generateKeys(j.owner, { vault: j.vault, key: 'kek', bits: 256, owner: 'scale' }, DISTINCT);
      await replicate(db, j.vault, RECORDS);
      await j.owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "kek") { kid } }', { v: j.vault });
      job = { ...j, originals };
    };
    await Promise.all([prepare(), ...gateways.map((g) => g.start()), workers.spawn(), workers.spawn()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...gateways.map((g) => g.stop('SIGTERM', 10_000)), workers?.stopAll()]);
    await redis?.stop();
    await db?.end();
  }, 60_000);

  it('spreads requests, shares one re-wrap job, and loses no successful operation when a gateway and a worker stop', async () => {
    const [gwA, gwB] = gateways;
    const [worker1, worker2] = [...workers.alive];
    const w1 = workerIdentity(worker1.pid);
    const w2 = workerIdentity(worker2.pid);

    // ---- load -------------------------------------------------------------------------------------------------
    interface Done {
      requestId: string;
      operation: string;
      gateway: string;
      at: number;
    }
    const successes: Done[] = [];
    const connectionErrors: Array<{ requestId: string; gateway: string; message: string; at: number }> = [];
    const graphqlErrors: Array<{ requestId: string; gateway: string; codes: string[]; at: number }> = [];
    const mismatches: string[] = [];
    const downUntil = [0, 0];
    let stopLoad = false;
    const LEDGER_OPERATION: Record<string, string> = {
      wrapKey: 'wrapKey',
      unwrapKey: 'unwrapKey',
      generateDataKey: 'escrowGenerateDataKey',
      encrypt: 'encrypt',
      startRewrapJob: 'startRewrapJob',
    };
    const token = load.owner.token as string;
    const keyRef = { vault: load.vault, name: 'dek' };

    /** Sends one operation, retrying on the other gateway after a connection failure. */
    const send = async (id: string, prefer: number, query: string, variables: Record<string, unknown>, operation: string, clientToken = token): Promise<Outcome> => {
      let g = prefer;
      for (let attempt = 0; ; attempt++) {
        if (downUntil[g] > Date.now() && downUntil[1 - g] <= Date.now()) g = 1 - g;
        const gateway = gateways[g];
        const requestId = `so-${tag}-${id}-${attempt}`;
        const outcome = await gql(gateway.graphqlUrl, clientToken, requestId, query, variables);
        const at = Date.now();
        if (outcome.kind === 'success') successes.push({ requestId, operation: LEDGER_OPERATION[operation], gateway: gateway.name, at });
        else if (outcome.kind === 'graphql-error') graphqlErrors.push({ requestId, gateway: gateway.name, codes: outcome.codes, at });
        else {
          connectionErrors.push({ requestId, gateway: gateway.name, message: outcome.message, at });
          downUntil[g] = Date.now() + 1000;
          if (attempt < 20) {
            g = 1 - g;
            await sleep(50);
            continue;
          }
        }
        return outcome;
      }
    };

    const client = async (c: number): Promise<number> => {
      let wrapped: { plain: string; value: string; version: string } | undefined;
      let n = 0;
      while (!stopLoad) {
        const gateway = (c + n) % 2;
        const kind = n % 4;
        const id = `${c}-${n}`;
        if (kind === 0 || (kind === 1 && !wrapped)) {
          const plain = randomBytes(32).toString('base64url');
          const out = await send(id, gateway, 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { kid value } }', { k: keyRef, v: plain }, 'wrapKey');
          if (out.kind === 'success') {
            const w = out.data.wrapKey as { kid: string; value: string };
            wrapped = { plain, value: w.value, version: w.kid.split('/').pop() as string };
          }
        } else if (kind === 1 && wrapped) {
          const w = wrapped;
          const out = await send(id, gateway, 'mutation($k: KeyRefInput!, $v: String!) { unwrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }', { k: { ...keyRef, version: w.version }, v: w.value }, 'unwrapKey');
          if (out.kind === 'success' && (out.data.unwrapKey as { value: string }).value !== w.plain) mismatches.push(`unwrap ${id}`);
        } else if (kind === 2) {
          const out = await send(id, gateway, 'mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { plaintext record { id } } }', { i: { vault: load.vault, key: 'dek', bits: 256, owner: `c${c}` } }, 'generateDataKey');
          if (out.kind === 'success' && Buffer.from((out.data.generateDataKey as { plaintext: string }).plaintext, 'base64url').length !== 32) mismatches.push(`dek ${id}`);
        } else {
          const out = await send(id, gateway, 'mutation($k: KeyRefInput!, $p: String!) { encrypt(key: $k, algorithm: "A256GCM", plaintext: $p) { value iv tag } }', { k: keyRef, p: randomBytes(24).toString('base64url') }, 'encrypt');
          if (out.kind === 'success' && !(out.data.encrypt as { tag: string }).tag) mismatches.push(`encrypt ${id}`);
        }
        n++;
      }
      return n;
    };

    const loadStarted = Date.now();
    const clients = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));

    // ---- the re-wrap job, started through gateway A under load -----------------------------------------------------
    await sleep(1000);
    const start = await send(
      'start-job',
      0,
      `mutation($s: RewrapSelectorInput!, $t: RewrapTargetInput!, $b: Int!, $r: Int) {
         startRewrapJob(selector: $s, target: $t, batchSize: $b, maxRatePerSecond: $r) { id status progress { total } } }`,
      { s: { vault: job.vault, key: 'kek', fromVersions: [1] }, t: { vault: job.vault, key: 'kek' }, b: 50, r: RATE },
      'startRewrapJob',
      job.owner.token as string,
    );
    if (start.kind !== 'success') throw new Error(`startRewrapJob: ${JSON.stringify(start)}`);
    const created = start.data.startRewrapJob as { id: string; status: string; progress: { total: number } };
    expect(created.progress.total).toBe(RECORDS);
    const jobId = created.id;
    const jobStartedAt = Date.now();

    const ranges = async (): Promise<Map<string, { done: number; processed: number }>> => {
      const { rows } = await db.query<{ claimed_by: string | null; done: string; processed: string }>(
        `SELECT claimed_by, count(*) FILTER (WHERE status = 'done') AS done, COALESCE(sum(processed), 0) AS processed
           FROM rewrap_job_ranges WHERE job_id = $1 GROUP BY claimed_by`,
        [jobId],
      );
      return new Map(rows.map((r) => [r.claimed_by ?? '(unclaimed)', { done: Number(r.done), processed: Number(r.processed) }]));
    };
    const jobRow = async (): Promise<{ status: string; done: number; failed: number; skipped: number }> => {
      const { rows } = await db.query<{ status: string; done: string; failed: string; skipped: string }>(
        'SELECT status, done, failed, skipped FROM rewrap_jobs WHERE id = $1',
        [jobId],
      );
      return { status: rows[0].status, done: Number(rows[0].done), failed: Number(rows[0].failed), skipped: Number(rows[0].skipped) };
    };

    // Lease watch while the job runs: a slot claims ONE range at a time and a job never has more live leases than its
    // slots (libs/escrow claimRange); both workers should hold leases at the same time.
    const leases = { maxLive: 0, maxWorkers: 0, samples: 0 };
    let watching = true;
    const watch = (async () => {
      // Stops by itself after 120 s or when the connection goes (a failed test must not leave it polling).
      const until = Date.now() + 120_000;
      while (watching && Date.now() < until) {
        const { rows } = await db.query<{ live: string; workers: string }>(
          `SELECT count(*) FILTER (WHERE status = 'pending' AND lease_until >= now()) AS live,
                  count(DISTINCT claimed_by) FILTER (WHERE status = 'pending' AND lease_until >= now()) AS workers
             FROM rewrap_job_ranges WHERE job_id = $1`,
          [jobId],
        );
        leases.maxLive = Math.max(leases.maxLive, Number(rows[0].live));
        leases.maxWorkers = Math.max(leases.maxWorkers, Number(rows[0].workers));
        leases.samples++;
        await sleep(200);
      }
    })().catch(() => undefined);

    // ---- mid-load: worker 2 (after it finished a range) gets SIGKILL, gateway B gets SIGTERM ------------------------
    const beforeKill = await waitFor('worker 2 to finish a range of the job', 40_000, async () => {
      const byWorker = await ranges();
      if ((byWorker.get(w2)?.done ?? 0) >= 1) return byWorker;
      if ((await jobRow()).status !== 'running') throw new Error(`job ended before worker 2 finished a range: ${JSON.stringify([...byWorker])}`);
      return undefined;
    });
    const killedAt = Date.now();
    worker2.kill('SIGKILL');
    // Gateway B stops while the load runs, after both gateways served for a while.
    await sleep(loadStarted + STOP_GATEWAY_AFTER_MS - Date.now());
    const stopB = gwB.stop(GATEWAY_SIGNAL, 10_000);
    const jobDone = waitFor('the job to finish', 90_000, async () => {
      const row = await jobRow();
      return row.status === 'running' ? undefined : { ...row, at: Date.now() };
    });
    jobDone.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    await stopB;
    const gatewayStoppedAt = Date.now();
    await jobDone;
    const rest = Math.max(loadStarted + MIN_LOAD_MS, gatewayStoppedAt + AFTER_STOP_MS) - Date.now();
    if (rest > 0) await sleep(rest);
    stopLoad = true;
    const perClient = await clients;
    const loadMs = Date.now() - loadStarted;
    const finalJob = await jobDone;
    watching = false;
    await watch;

    // ---- requests spread over both gateways --------------------------------------------------------------------
    const stopAsked = gwB.stoppedAt as number;
    const count = (g: string, before = Infinity): number => successes.filter((s) => s.gateway === g && s.at < before).length;
    const split = { A: count('A'), B: count('B'), beforeStop: { A: count('A', stopAsked), B: count('B', stopAsked) }, afterStop: { A: successes.filter((s) => s.gateway === 'A' && s.at >= gatewayStoppedAt).length, BAnsweredAfterSignal: count('B') - count('B', stopAsked) } };
    const errorCodes = graphqlErrors.reduce<Record<string, number>>((acc, e) => {
      const k = `${e.gateway}:${e.codes.join(',')}`;
      acc[k] = (acc[k] ?? 0) + 1;
      return acc;
    }, {});
    expect(mismatches).toEqual([]);
    expect(split.beforeStop.A).toBeGreaterThan(0);
    expect(split.beforeStop.B).toBeGreaterThan(0);
    expect(Math.min(split.beforeStop.A, split.beforeStop.B) / (split.beforeStop.A + split.beforeStop.B)).toBeGreaterThan(0.2);
    expect(split.afterStop.A).toBeGreaterThan(0); // the survivor kept serving
    expect(gwB.running).toBe(false);
    // The surviving gateway answered every request it got with success.
    expect(graphqlErrors.filter((e) => e.gateway === 'A')).toEqual([]);

    // ---- every success has exactly one success ledger entry with its request id ---------------------------------
    const ids = successes.map((s) => s.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    const { rows: entries } = await db.query<{ request_id: string; operation: string; outcome: string; seq: string }>(
      'SELECT request_id, operation, outcome, seq FROM ledger_entries WHERE request_id = ANY($1)',
      [ids],
    );
    const byId = new Map<string, Array<{ operation: string; outcome: string; seq: number }>>();
    for (const e of entries) byId.set(e.request_id, [...(byId.get(e.request_id) ?? []), { operation: e.operation, outcome: e.outcome, seq: Number(e.seq) }]);
    const lost = successes.filter((s) => {
      const mine = byId.get(s.requestId) ?? [];
      return !(mine.length === 1 && mine[0].outcome === 'success' && mine[0].operation === s.operation);
    });
    expect(lost.map((s) => ({ ...s, entries: byId.get(s.requestId) ?? [] }))).toEqual([]);
    // Requests without an answer (connection failures) may or may not have been committed; never twice.
    const { rows: unanswered } = await db.query<{ request_id: string; n: string }>(
      'SELECT request_id, count(*) AS n FROM ledger_entries WHERE request_id = ANY($1) GROUP BY request_id',
      [connectionErrors.map((e) => e.requestId)],
    );
    expect(unanswered.filter((r) => Number(r.n) > 1)).toEqual([]);

    // ---- the job: completed, shared by both workers, every record moved exactly once ---------------------------
    expect({ status: finalJob.status, done: finalJob.done, failed: finalJob.failed, skipped: finalJob.skipped }).toEqual({
      status: 'completed',
      done: RECORDS,
      failed: 0,
      skipped: 0,
    });
    const byWorker = await ranges();
    expect([...byWorker.keys()].sort()).toEqual([w1, w2].sort());
    expect(byWorker.get(w1)?.processed).toBeGreaterThan(0);
    expect(byWorker.get(w2)?.processed).toBeGreaterThan(0);
    expect([...byWorker.values()].reduce((s, v) => s + v.processed, 0)).toBe(RECORDS);
    const { rows: records } = await db.query<{ n: string; off: string; twice: string; never: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE key_version <> 2) AS off, count(*) FILTER (WHERE rewrap_count > 1) AS twice,
              count(*) FILTER (WHERE rewrap_count = 0) AS never
         FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1`,
      [job.vault],
    );
    expect(records[0]).toEqual({ n: String(RECORDS), off: '0', twice: '0', never: '0' });
    const { rows: moved } = await db.query<{ moved: string }>(
      "SELECT COALESCE(sum((details->>'moved')::int), 0) AS moved FROM ledger_entries WHERE operation = 'rewrapBatch' AND details->>'jobId' = $1",
      [jobId],
    );
    expect(Number(moved[0].moved)).toBe(RECORDS);
    const { rows: completed } = await db.query("SELECT 1 FROM ledger_entries WHERE operation = 'rewrapJobCompleted' AND details->>'jobId' = $1", [jobId]);
    expect(completed).toHaveLength(1);
    // Every original and a sample of the copies release (through the surviving gateway) to the DEK they held before.
    const { rows: sample } = await db.query<{ id: string; src: string | null }>(
      `SELECT r.id, r.labels->>'src' AS src FROM escrow_records r JOIN vaults v ON v.id = r.vault_id
        WHERE v.name = $1 AND (r.origin = 'generated' OR random() < 0.03)`,
      [job.vault],
    );
    const released = await releaseAll(
      gwA.client(job.owner.token as string),
      sample.map((r) => ({ id: r.id, expected: job.originals.get(r.src ?? r.id) as string })),
    );
    expect(released.mismatches).toBe(0);
    expect([...released.versions]).toEqual([`/vaults/${job.vault}/keys/kek/2`]);

    // ---- one chain: a checkpoint covers the load, and verifyLedger (whole chain + checkpoints) passes -----------
    const lastSeq = Math.max(...entries.map((e) => Number(e.seq)));
    const checkpoint = await waitFor('a checkpoint covering the load', 30_000, async () => {
      const { rows } = await db.query<{ size: string | null }>('SELECT max(tree_size) AS size FROM ledger_checkpoints');
      return Number(rows[0].size ?? 0) >= lastSeq ? Number(rows[0].size) : undefined;
    });
    const { verifyLedger } = await gwA.client(adminToken()).data<{
      verifyLedger: { ok: boolean; checked: number; checkpointsChecked: number; signaturesChecked: number; headSeq: number; from: number; to: number; reason: string | null };
    }>('{ verifyLedger { ok checked checkpointsChecked signaturesChecked headSeq from to reason firstBadSeq } }');
    expect(verifyLedger).toMatchObject({ ok: true, from: 1, reason: null });
    expect(verifyLedger.to).toBeGreaterThanOrEqual(lastSeq);
    expect(verifyLedger.checked).toBe(verifyLedger.to);
    expect(verifyLedger.checkpointsChecked).toBeGreaterThan(0);
    // The entries of both gateways interleave in that one chain (no per-process chains or forks). Each gateway's
    // group-commit batch is one transaction, and the integrator keeps a transaction's entries together, so the chain
    // runs in blocks: how many depends on batching, not on correctness; A…B…A already rules out a chain per process.
    const { rows: chain } = await db.query<LedgerRow>('SELECT * FROM ledger_entries WHERE seq <= $1 ORDER BY seq', [lastSeq]);
    expect(verifyChain(chain.map(toEntry))).toEqual({ ok: true, checked: lastSeq });
    const gatewayOf = new Map(successes.map((s) => [s.requestId, s.gateway]));
    const order = entries
      .filter((e) => gatewayOf.has(e.request_id))
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((e) => gatewayOf.get(e.request_id));
    const switches = order.filter((g, i) => i > 0 && g !== order[i - 1]).length;
    expect(switches).toBeGreaterThanOrEqual(2);

    const report = {
      operations: { succeeded: successes.length, perClient: `${Math.min(...perClient)}..${Math.max(...perClient)}`, connectionErrors: connectionErrors.length, graphqlErrors: errorCodes, unansweredCommitted: unanswered.length },
      split,
      byOperation: successes.reduce<Record<string, number>>((acc, s) => ((acc[s.operation] = (acc[s.operation] ?? 0) + 1), acc), {}),
      connectionErrors: connectionErrors.reduce<Record<string, number>>((acc, e) => {
        const k = `${e.gateway} ${e.at < gatewayStoppedAt ? 'during stop' : 'after exit'}: ${e.message}`;
        acc[k] = (acc[k] ?? 0) + 1;
        return acc;
      }, {}),
      gatewayB: {
        signal: GATEWAY_SIGNAL,
        // warnings and errors only (Nest's start-up LOG lines are printed whatever LOG_LEVEL says)
        log: gwB.output
          .split('\n')
          .filter((l) => l.trim() && !/\bLOG\b|GraphQL at /.test(l))
          .slice(-20),
      },
      job: {
        records: RECORDS,
        byWorkerBeforeKill: Object.fromEntries(beforeKill),
        byWorkerFinal: Object.fromEntries(byWorker),
        worker1: w1,
        worker2: w2,
        jobMs: finalJob.at - jobStartedAt,
        killedAfterMs: killedAt - jobStartedAt,
        released: sample.length,
        log: jobLogLines(workers.output, jobId).slice(-30),
        leases: { ...leases, slots: 4 },
      },
      timing: { loadMs, gatewayBStopMs: gatewayStoppedAt - stopAsked, totalMs: Date.now() - started },
      ledger: { ...verifyLedger, checkpoint, switches },
    };
    console.log(`scale-out report ${JSON.stringify(report, null, 1)}`);

    // Sharing means working in parallel: at most `slots` live leases, one range per claim, and both workers leasing
    // at once. (Checked last so that everything above is reported either way.)
    expect(leases.maxLive).toBeLessThanOrEqual(4);
    expect(leases.maxWorkers).toBe(2);
  }, 180_000);
});
