/**
 * npm run bench, re-wrap part (ops/local/bench.sh runs it as node dist/bench/rewrap.js on the throw-away stack).
 *
 * 1. Through the API: a vault on the pool, a principal, an AES-256 key `kek`, and BENCH_REWRAP_DISTINCT (1,000)
 *    data keys made by generateDataKey (DEKs created and wrapped inside the HSM; their plaintexts kept here).
 * 2. Seed: the wrapped bytes of those records are replicated with SQL up to BENCH_REWRAP_RECORDS (1,000,000) escrow
 *    records (each carries label src=<original record>, so any record can be checked by releasing it). Wrapping
 *    1M DEKs through the HSM would only add ~50 s of seeding and test nothing the re-wrap does not.
 * 3. rotateKey, then the raw baseline on the same pool and key objects: C_UnwrapKey(KWP, v1) + C_WrapKey(KWP, v2)
 *    + C_DestroyObject in a synchronous loop (libs/hsm runRawRewrapBaseline), in 1 process and in 2 at once.
 * 4. Per worker count in BENCH_REWRAP_WORKERS ("1,2"): the stack's own worker is stopped; that many worker processes
 *    (node dist/apps/worker/src/main.js) are started; startRewrapJob moves every record to the newest version
 *    (AES-KWP → AES-KWP, same pool) with batchSize BENCH_REWRAP_BATCH (1,000); progress is polled; CPU (workers,
 *    Postgres, machine) and the workers' RSS are sampled. Then: every record under the target, rewrap_count equal
 *    for all, ledger `moved` sum = records, and BENCH_REWRAP_VERIFY (200) random records released and compared
 *    with the plaintext of their source record.
 * 5. A table (records/s, ratio to raw), what bounds it, and bench/results/rewrap-<time>.json.
 *
 * Environment (keybridge.env): KEYBRIDGE_GATEWAY_URL, KEYBRIDGE_ADMIN_TOKEN_FILE, KEYBRIDGE_POOLS_FILE,
 * DATABASE_MIGRATION_URL (or DATABASE_URL), KEYBRIDGE_DATA_DIR. Knobs: BENCH_REWRAP_RECORDS, BENCH_REWRAP_DISTINCT,
 * BENCH_REWRAP_BATCH, BENCH_REWRAP_WORKERS, BENCH_REWRAP_RAW_SECONDS (8), BENCH_REWRAP_VERIFY, BENCH_POOL (pool-a),
 * BENCH_RESULTS_DIR, BENCH_REWRAP_WORKER_ARGS (extra node arguments for the workers, e.g. --cpu-prof). Exit status 1 when a check fails.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { loadPoolsFile, RawRewrapResult, runRawRewrapBaseline } from '@keybridge/hsm';
import { waitForIntegration } from '@keybridge/ledger';
import { adminToken, Gql, requireEnv, rowsOf } from './lib/fixtures';
import { processesOf, snapshot, usageBetween } from './lib/proc-cpu';

interface Settings {
  records: number;
  distinct: number;
  batch: number;
  workers: number[];
  rawSeconds: number;
  verify: number;
  pool: string;
  resultsDir: string;
}

interface RunResult {
  workers: number;
  job: string;
  records: number;
  seconds: number;
  recordsPerSec: number;
  ratioToRaw1: number;
  ratioToRawN: number;
  /** Records per second of worker CPU, and that as a share of raw pairs per second of CPU: robust to a busy machine. */
  recordsPerWorkerCpuSecond: number;
  cpuEfficiencyVsRaw: number;
  cpu: { workers: number; postgres: number | null; machineBusy: number; machineCapacity: number; others: number };
  workerRssMiB: { start: number[]; max: number[]; end: number[] };
  /** Largest JS heap a worker reported after a slot, MiB. */
  workerHeapMaxMiB: number | null;
  checks: { allUnderTarget: boolean; rewrapCountUniform: boolean; ledgerMoved: number; ledgerMatches: boolean; released: number; releasedMatch: boolean };
  bounds: string[];
}

const RAW_CHILD = '--raw-child';
const RECORD_FIELDS = 'id kid';

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer (got ${JSON.stringify(raw)})`);
  return value;
}

function settings(): Settings {
  const workers = (process.env.BENCH_REWRAP_WORKERS ?? '1,2').split(',').map((s) => Number(s.trim()));
  if (workers.some((w) => !Number.isInteger(w) || w < 1 || w > 8)) throw new Error('BENCH_REWRAP_WORKERS is a comma list of 1..8');
  return {
    records: num('BENCH_REWRAP_RECORDS', 1_000_000),
    distinct: num('BENCH_REWRAP_DISTINCT', 1000),
    batch: num('BENCH_REWRAP_BATCH', 1000),
    workers,
    rawSeconds: num('BENCH_REWRAP_RAW_SECONDS', 8),
    verify: num('BENCH_REWRAP_VERIFY', 200),
    pool: process.env.BENCH_POOL ?? 'pool-a',
    resultsDir: process.env.BENCH_RESULTS_DIR ?? resolve(__dirname, '..', '..', 'bench', 'results'),
  };
}

const log = (line: string): void => console.log(`rewrap: ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Child mode: one raw baseline measurement, JSON on stdout. */
function rawChild(): void {
  const o = JSON.parse(process.env.BENCH_RAW_OPTIONS ?? '{}') as { pool: string; from: string; to: string; samples: string[]; seconds: number };
  const pool = loadPoolsFile(requireEnv('KEYBRIDGE_POOLS_FILE')).find((p) => p.name === o.pool);
  if (!pool) throw new Error(`no pool ${o.pool}`);
  const result = runRawRewrapBaseline({
    pool,
    fromObjectId: o.from,
    toObjectId: o.to,
    samples: o.samples.map((s) => Buffer.from(s, 'base64')),
    seconds: o.seconds,
    warmupSeconds: 1,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function rawBaseline(processes: number, options: object): Promise<RawRewrapResult[]> {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, [__filename, RAW_CHILD], { env: { ...process.env, BENCH_RAW_OPTIONS: JSON.stringify(options) }, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  return Promise.all(
    children.map(
      (child) =>
        new Promise<RawRewrapResult>((ok, ko) => {
          let out = '';
          child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
          child.on('exit', (code) => (code === 0 ? ok(JSON.parse(out) as RawRewrapResult) : ko(new Error(`raw baseline child exited ${code}`))));
        }),
    ),
  );
}

function rssMiB(pid: number | undefined): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

function cpuTicks(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** JS heap figures the workers log at the end of each slot (RSS includes the HSM module's own memory). */
const heapSeen: number[] = [];

async function startWorkers(n: number): Promise<ChildProcess[]> {
  // One after another, with a retry: SoftHSM occasionally answers CKR_GENERAL_ERROR to processes that initialise
  // at the same instant (docs/architecture notes); a worker that fails to start is simply started again.
  const workers: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    for (let attempt = 1; ; attempt++) {
      try {
        workers.push(await startWorker(i));
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
        log(`worker ${i} did not start (${error instanceof Error ? error.message : String(error)}); again`);
      }
    }
  }
  return workers;
}

function startWorker(i: number): Promise<ChildProcess> {
  const script = resolve(__dirname, '..', 'apps', 'worker', 'src', 'main.js');
  const w = spawn(process.execPath, [...(process.env.BENCH_REWRAP_WORKER_ARGS ?? '').split(' ').filter(Boolean), script], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise<ChildProcess>((ok, ko) => {
    const timer = setTimeout(() => ko(new Error(`worker ${i} did not start within 60 s`)), 60_000);
    let err = '';
    w.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    w.stdout?.on('data', (d: Buffer) => {
      const text = d.toString();
      for (const m of text.matchAll(/heap (\d+) MiB/g)) heapSeen.push(Number(m[1]));
      if (text.includes('consuming queues')) {
        clearTimeout(timer);
        w.removeAllListeners('exit');
        ok(w);
      }
    });
    w.on('error', (e) => ko(e));
    w.on('exit', (code) => {
      clearTimeout(timer);
      ko(new Error(`worker ${i} exited ${code} during start-up: ${err.split('\n').find((l) => /Error/.test(l))?.trim() ?? ''}`));
    });
  });
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((ok) => {
          if (w.exitCode !== null) return ok();
          w.once('exit', () => ok());
          w.kill('SIGTERM');
          setTimeout(() => w.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
}

/** Stops the stack's own worker (ops/local/up.sh's pid file in this data dir), so only ours consume the queue. */
async function stopStackWorker(dataDir: string | undefined): Promise<void> {
  const pid = processesOf(dataDir).workerPid;
  if (!pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 150; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      log(`stopped the stack's worker (pid ${pid})`);
      return;
    }
    await sleep(100);
  }
  throw new Error(`the stack's worker (pid ${pid}) did not stop`);
}

async function main(): Promise<void> {
  const s = settings();
  const url = `${requireEnv('KEYBRIDGE_GATEWAY_URL')}/graphql`;
  const dataDir = process.env.KEYBRIDGE_DATA_DIR;
  const db = new Client({ connectionString: process.env.DATABASE_MIGRATION_URL ?? requireEnv('DATABASE_URL') });
  await db.connect();
  const failures: string[] = [];
  try {
    // 1. fixture
    const admin = new Gql(url, adminToken());
    const suffix = randomBytes(4).toString('hex');
    const vault = `bench-rw-${suffix}`;
    await admin.data('mutation($n: String!, $p: String!) { createVault(name: $n, pool: $p) { name } }', { n: vault, p: s.pool });
    await admin.data('mutation($n: String!) { createPrincipal(name: $n) { id } }', { n: vault });
    const { createApiToken } = await admin.data<{ createApiToken: { token: string } }>('mutation($n: String!) { createApiToken(principal: $n, label: "bench rewrap") { token } }', { n: vault });
    await admin.data('mutation($p: String!, $v: String!, $perms: [Permission!]!) { setGrant(principal: $p, vault: $v, permissions: $perms) { vault } }', {
      p: vault,
      v: vault,
      perms: ['get', 'list', 'create', 'wrapKey', 'unwrapKey', 'escrowDeposit', 'escrowRelease', 'manageJobs'],
    });
    const owner = new Gql(url, createApiToken.token);
    await owner.data('mutation($i: CreateKeyInput!) { createKey(input: $i) { kid } }', { i: { vault, name: 'kek', kty: 'oct', size: 256, keyOps: ['wrapKey', 'unwrapKey'] } });

    // 2. distinct DEKs through the HSM, then SQL replication
    const plaintexts = new Map<string, string>();
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < s.distinct) {
          next++;
          const { generateDataKey } = await owner.data<{ generateDataKey: { plaintext: string; record: { id: string } } }>(
            `mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { plaintext record { ${RECORD_FIELDS} } } }`,
            { i: { vault, key: 'kek', bits: 256, owner: 'bench' } },
          );
          plaintexts.set(generateDataKey.record.id, generateDataKey.plaintext);
        }
      }),
    );
    log(`${plaintexts.size} data keys generated in the HSM through the API in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = Date.now();
    const copies = s.records - s.distinct;
    if (copies > 0) {
      const per = Math.ceil(copies / s.distinct);
      await db.query(
        `INSERT INTO escrow_records (id, vault_id, key_id, key_version, algorithm, wrapped, dek_bits, owner, labels, origin, created_by, created_at, updated_at)
         SELECT gen_random_uuid(), s.vault_id, s.key_id, s.key_version, s.algorithm, s.wrapped, s.dek_bits, s.owner,
                jsonb_build_object('src', s.id::text), 'deposited', s.created_by, now(), now()
           FROM (SELECT r.* FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1) s
          CROSS JOIN generate_series(1, $2) g
          LIMIT $3`,
        [vault, per, copies],
      );
    }
    await db.query('ANALYZE escrow_records');
    log(`seeded ${s.records} escrow records (SQL copies of the ${s.distinct} wrapped DEKs) in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

    // 3. raw baseline: kek v1 -> v2
    await owner.data('mutation { rotateKey(vault: "' + vault + '", name: "kek") { kid } }');
    const objects = (
      await db.query<{ version: number; hsm_object_id: string }>(
        `SELECT kv.version, kv.hsm_object_id FROM key_versions kv JOIN keys k ON k.id = kv.key_id JOIN vaults v ON v.id = k.vault_id
          WHERE v.name = $1 AND k.name = 'kek' ORDER BY kv.version`,
        [vault],
      )
    ).rows;
    const samples = (
      await db.query<{ wrapped: Buffer }>(
        `SELECT r.wrapped FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1 AND r.origin = 'generated' LIMIT 1000`,
        [vault],
      )
    ).rows.map((r) => r.wrapped.toString('base64'));
    const rawOptions = { pool: s.pool, from: objects[0].hsm_object_id, to: objects[1].hsm_object_id, samples, seconds: s.rawSeconds };
    const raw1 = (await rawBaseline(1, rawOptions))[0];
    const rawN = await rawBaseline(Math.max(...s.workers), rawOptions);
    const rawNTotal = rawN.reduce((n, r) => n + r.pairsPerSec, 0);
    const rawPerCpu = Math.round(raw1.pairsPerSec / (raw1.cpuPercent / 100));
    log(`raw unwrap+wrap pairs: 1 process ${raw1.pairsPerSec}/s (cpu ${raw1.cpuPercent}%), ${rawN.length} processes ${rawNTotal}/s`);
    if (raw1.errors || rawN.some((r) => r.errors)) failures.push(`raw baseline had errors: ${raw1.firstError ?? rawN.find((r) => r.errors)?.firstError}`);

    // 4. jobs
    await stopStackWorker(dataDir);
    const runs: RunResult[] = [];
    let version = 2;
    for (const [index, n] of s.workers.entries()) {
      if (index > 0) {
        await owner.data('mutation { rotateKey(vault: "' + vault + '", name: "kek") { kid } }');
        version++;
      }
      heapSeen.length = 0;
      const workers = await startWorkers(n);
      const pids = workers.map((w) => w.pid);
      const rssStart = pids.map(rssMiB);
      const rssMax = [...rssStart];
      const procs = processesOf(dataDir);
      const snap0 = snapshot(procs);
      const ticks0 = pids.map(cpuTicks);
      const { startRewrapJob } = await owner.data<{ startRewrapJob: { id: string } }>(
        'mutation($s: RewrapSelectorInput!, $t: RewrapTargetInput!, $b: Int!) { startRewrapJob(selector: $s, target: $t, batchSize: $b) { id } }',
        { s: { vault, key: 'kek', allBelowVersion: version }, t: { vault, key: 'kek' }, b: s.batch },
      );
      let job: { status: string; createdAt: string; finishedAt: string | null; progress: { total: number; done: number; failed: number; ratePerSecond: number } };
      let lastLog = 0;
      for (;;) {
        await sleep(1000);
        for (const [i, pid] of pids.entries()) rssMax[i] = Math.max(rssMax[i], rssMiB(pid));
        ({ rewrapJob: job } = await owner.data<{ rewrapJob: typeof job }>(
          'query($id: ID!) { rewrapJob(id: $id) { status createdAt finishedAt progress { total done failed ratePerSecond } } }',
          { id: startRewrapJob.id },
        ));
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          log(`  ${n} worker(s): ${job.progress.done}/${job.progress.total} at ${job.progress.ratePerSecond}/s, rss ${pids.map(rssMiB).join('/')} MiB`);
        }
        if (job.status !== 'running') break;
      }
      const snap1 = snapshot(procs);
      const hz = 100;
      const seconds = (Date.parse(job.finishedAt ?? new Date().toISOString()) - Date.parse(job.createdAt)) / 1000;
      const workerCpu = Math.round((pids.map(cpuTicks).reduce((a, t, i) => a + t - ticks0[i], 0) / hz / ((snap1.at - snap0.at) / 1000)) * 100);
      const usage = usageBetween(snap0, snap1, cpus().length);
      const rssEnd = pids.map(rssMiB);
      await stopWorkers(workers);
      if (job.status !== 'completed' || job.progress.failed > 0) failures.push(`job with ${n} worker(s) ended ${job.status} with ${job.progress.failed} failures`);

      // checks
      const under = await db.query<{ off: string; counts: string }>(
        `SELECT count(*) FILTER (WHERE r.key_version <> $2) AS off, count(DISTINCT r.rewrap_count) AS counts
           FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1`,
        [vault, version],
      );
      await waitForIntegration(rowsOf(db));
      const ledger = await db.query<{ moved: string }>(
        `SELECT COALESCE(sum((details->>'moved')::bigint), 0) AS moved FROM ledger_entries WHERE operation = 'rewrapBatch' AND details->>'jobId' = $1`,
        [startRewrapJob.id],
      );
      const sample = (
        await db.query<{ id: string; src: string | null }>(
          `SELECT r.id, r.labels->>'src' AS src FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1 ORDER BY random() LIMIT $2`,
          [vault, s.verify],
        )
      ).rows;
      let releasedMatch = true;
      for (const row of sample) {
        const { releaseDataKey } = await owner.data<{ releaseDataKey: { plaintext: string } }>('mutation($id: ID!) { releaseDataKey(id: $id) { plaintext } }', { id: row.id });
        if (releaseDataKey.plaintext !== plaintexts.get(row.src ?? row.id)) releasedMatch = false;
      }
      const ledgerMoved = Number(ledger.rows[0].moved);
      const checks = {
        allUnderTarget: Number(under.rows[0].off) === 0,
        rewrapCountUniform: Number(under.rows[0].counts) === 1,
        ledgerMoved,
        ledgerMatches: ledgerMoved === s.records,
        released: sample.length,
        releasedMatch,
      };
      for (const [name, ok] of Object.entries(checks)) if (ok === false) failures.push(`${n} worker(s): check ${name} failed`);
      const rate = Math.round(s.records / seconds);
      const perCpu = Math.round(s.records / ((workerCpu / 100) * ((snap1.at - snap0.at) / 1000)));
      const bounds: string[] = [];
      const busy = usage.machineBusy / usage.machineCapacity;
      if (busy > 0.9) bounds.push(`CPU: the machine was ${Math.round(busy * 100)}% busy (workers ${workerCpu}%, Postgres ${usage.postgres}% of a core)`);
      if (workerCpu / n > 85) bounds.push(`worker event loop: ${Math.round(workerCpu / n)}% of a core per worker (HSM calls are synchronous there)`);
      if ((usage.postgres ?? 0) > 80) bounds.push(`Postgres: ${usage.postgres}% of a core (record updates, indexes, ledger)`);
      const others = Math.max(0, usage.others - workerCpu);
      if (others > 25) bounds.push(`other processes on the machine took ${others}% of a core (not this stack)`);
      runs.push({
        workers: n,
        job: startRewrapJob.id,
        records: s.records,
        seconds: Math.round(seconds * 10) / 10,
        recordsPerSec: rate,
        ratioToRaw1: Math.round((rate / raw1.pairsPerSec) * 100) / 100,
        ratioToRawN: Math.round((rate / (n === 1 ? raw1.pairsPerSec : rawNTotal)) * 100) / 100,
        recordsPerWorkerCpuSecond: perCpu,
        cpuEfficiencyVsRaw: Math.round((perCpu / rawPerCpu) * 100) / 100,
        cpu: { workers: workerCpu, postgres: usage.postgres, machineBusy: usage.machineBusy, machineCapacity: usage.machineCapacity, others },
        workerRssMiB: { start: rssStart, max: rssMax, end: rssEnd },
        workerHeapMaxMiB: heapSeen.length ? Math.max(...heapSeen) : null,
        checks,
        bounds,
      });
      log(`${n} worker(s): ${s.records} records in ${seconds.toFixed(1)} s = ${rate}/s; checks ${JSON.stringify(checks)}`);
    }

    // 5. report
    console.log('');
    console.log(`Re-wrap AES-KWP -> AES-KWP, pool ${s.pool}, ${s.records} records, batch ${s.batch}, ${cpus().length} cores`);
    console.log(`raw unwrap+wrap pair (same calls, sync loop, no DB): 1 process ${raw1.pairsPerSec}/s (${rawPerCpu} per CPU-second); ${rawN.length} processes ${rawNTotal}/s`);
    console.log('workers  records/s  vs raw(1 proc)  vs raw(same #procs)  workers cpu  postgres cpu  machine  others  worker RSS MiB (start/max/end)  max JS heap MiB');
    for (const r of runs) {
      console.log(
        `${String(r.workers).padStart(7)}  ${String(r.recordsPerSec).padStart(9)}  ${`${Math.round(r.ratioToRaw1 * 100)}%`.padStart(14)}  ${`${Math.round(r.ratioToRawN * 100)}%`.padStart(19)}  ${`${r.cpu.workers}%`.padStart(11)}  ${`${r.cpu.postgres}%`.padStart(12)}  ${`${r.cpu.machineBusy}/${r.cpu.machineCapacity}%`.padStart(7)}  ${`${r.cpu.others}%`.padStart(6)}  ${r.workerRssMiB.start.join(',')}/${r.workerRssMiB.max.join(',')}/${r.workerRssMiB.end.join(',')}  ${r.workerHeapMaxMiB ?? '-'}`,
      );
      console.log(`         per worker CPU-second: ${r.recordsPerWorkerCpuSecond} records = ${Math.round(r.cpuEfficiencyVsRaw * 100)}% of raw pairs per CPU-second`);
      for (const b of r.bounds) console.log(`         bound: ${b}`);
    }
    mkdirSync(s.resultsDir, { recursive: true });
    const file = join(s.resultsDir, `rewrap-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ settings: s, raw: { oneProcess: raw1, processes: rawN, total: rawNTotal }, runs, failures }, null, 2)}\n`);
    console.log(`results: ${file}`);
  } finally {
    await db.end();
  }
  if (failures.length) {
    for (const f of failures) console.error(`rewrap: FAILED: ${f}`);
    process.exitCode = 1;
  }
}

if (process.argv[2] === RAW_CHILD) {
  rawChild();
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
