/**
 * The audit ledger's benchmark (issue 3), run by `npm run bench` after the foundation benchmark (ops/local/bench.sh
 * starts a throw-away stack and runs `node dist/bench/ledger-appends.js` with its keybridge.env), or by hand against a
 * running stack: `source <data>/keybridge.env && node dist/bench/ledger-appends.js`.
 *
 * 1. Appends: LEDGER_BENCH_PROCS (2) processes × LEDGER_BENCH_WRITERS (32) concurrent writers, each awaiting one
 *    LedgerWriter.append after another (group commit under the advisory lock, the production path), for
 *    LEDGER_BENCH_SECONDS (10): sustained appends/s, batch size, append latency, CPU of Postgres and the writers.
 * 2. The ledger inside an API call: AES-KWP wrapKey (32 B under AES-256) through GraphQL at LEDGER_BENCH_API_CONCURRENCY
 *    (64) for LEDGER_BENCH_API_SECONDS (8), next to the append cost measured in 1 (CPU per append vs CPU per wrap, and
 *    the time an operation waits for its entry: append latency at the same concurrency in one process).
 * 3. Verification rate: in memory (LEDGER_BENCH_VERIFY_ENTRIES synthetic entries, 300 000), server-side over the
 *    stack's ledger (LedgerVerifier: Postgres pages + hashing), and offline over an NDJSON export (verifyExport).
 * 4. Checkpoint: tree head over the whole stack ledger from scratch (stored nodes discarded) and incrementally.
 * 5. Compliance queries on a seeded ledger of LEDGER_BENCH_ROWS rows (default 1 000 000; 10 000 000 for the figures in
 *    docs; 0 skips) in a bench-only database (INSERT … SELECT generate_series; the chain is not valid there, which
 *    query timing does not need): seeding time, p50/p95 of filtered first pages of 100 and of deep pages.
 *
 * LEDGER_BENCH_PARTS (appends,api,verify,checkpoint,queries) selects parts; api needs appends.
 *
 * `--worker`: one appending process of part 1 (also used by test/ledger/concurrency.e2e-spec.ts); environment
 * LEDGER_WORKER_WRITERS, LEDGER_WORKER_SECONDS or LEDGER_WORKER_COUNT, LEDGER_WORKER_MARKER, LEDGER_WORKER_START_AT
 * (epoch ms to start at, so several processes start together); prints one JSON line.
 *
 * Results: a table on stdout and bench/results/ledger-<time>.json.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  AuditEntryRepository,
  AuditFilter,
  canonicalEntry,
  chainHash,
  ChainVerifier,
  CheckpointRepository,
  exportLine,
  GENESIS_HASH,
  headerLine,
  LedgerEntry,
  LedgerExporter,
  LedgerIntegrator,
  LedgerReader,
  LedgerTree,
  LedgerVerifier,
  LedgerWriter,
  MerkleNodeRepository,
  MerkleProver,
  parseExportLine,
  storeCompleteChunks,
} from '@keybridge/ledger';
import { AppConfig, SystemClock } from '@keybridge/platform';
import { migrations } from '../migrations';
import { createFixture, requireEnv } from './lib/fixtures';
import { buildPost, closeConnections, LoadResult, openConnections, parseTarget, runLoad } from './lib/http-load';
import { processesOf, snapshot, usageBetween } from './lib/proc-cpu';

const log = (line: string): void => console.log(line);

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

function quantiles(values: number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { p50: r(q(0.5)), p95: r(q(0.95)), p99: r(q(0.99)), max: r(q(1)) };
}

// ------------------------------------------------------------------------------------------------ worker mode

interface WorkerResult {
  pid: number;
  appended: number;
  seconds: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  cpuSeconds: number;
}

async function worker(): Promise<void> {
  const config = AppConfig.fromEnv(process.env, ['DATABASE_URL']);
  const db = new DataSource({ type: 'postgres', url: config.values.DATABASE_URL, poolSize: 4, applicationName: 'keybridge-ledger-bench' });
  await db.initialize();
  const integrator = new LedgerIntegrator(db, config);
  const writer = new LedgerWriter(db, new SystemClock(), config, integrator);
  const writers = num('LEDGER_WORKER_WRITERS', 32);
  const seconds = num('LEDGER_WORKER_SECONDS', 0);
  const count = num('LEDGER_WORKER_COUNT', 0);
  const marker = process.env.LEDGER_WORKER_MARKER ?? 'bench';
  const startAt = num('LEDGER_WORKER_START_AT', 0);
  if (startAt > Date.now()) await new Promise((r) => setTimeout(r, startAt - Date.now()));
  const latencies: number[] = [];
  let issued = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = seconds > 0 ? t0 + seconds * 1000 : Infinity;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (performance.now() < deadline && (count === 0 || issued < count)) {
        const i = issued++;
        const start = performance.now();
        await writer.append({
          principalId: `bench-${process.pid}`,
          vault: 'bench',
          keyName: `k${w}`,
          keyVersion: 1,
          operation: 'benchAppend',
          outcome: 'success',
          errorCode: null,
          requestId: `${process.pid}-${i}`,
          traceId: null,
          paramsDigest: null,
          details: { marker, proc: process.pid, writer: w, i },
        });
        latencies.push(performance.now() - start);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const result: WorkerResult = {
    pid: process.pid,
    appended: latencies.length,
    seconds: elapsed,
    latencyMs: quantiles(latencies),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Keep the Postgres backends alive a moment so the parent's CPU snapshot still sees them.
  const linger = num('LEDGER_WORKER_LINGER_MS', 0);
  if (linger > 0) await new Promise((r) => setTimeout(r, linger));
  await integrator.stop();
  await db.destroy();
}

function spawnWorkers(n: number, env: Record<string, string>): Promise<WorkerResult[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<WorkerResult>((done, fail) => {
          const child = spawn(process.execPath, [__filename, '--worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          // resolved as soon as the result line arrives (the worker lingers before closing its connections)
          child.stdout.on('data', (c: Buffer) => {
            out += c.toString('utf8');
            if (out.includes('\n')) done(JSON.parse(out.trim().split('\n')[0]) as WorkerResult);
          });
          child.once('exit', (code) => (code === 0 ? undefined : fail(new Error(`append worker exited ${code}`))));
        }),
    ),
  );
}

// ------------------------------------------------------------------------------------------------ parts

async function appends(adminDb: Client): Promise<Record<string, unknown>> {
  const procs = num('LEDGER_BENCH_PROCS', 2);
  const writers = num('LEDGER_BENCH_WRITERS', 32);
  const seconds = num('LEDGER_BENCH_SECONDS', 10);
  const marker = `bench-${randomBytes(4).toString('hex')}`;
  const set = processesOf(process.env.KEYBRIDGE_DATA_DIR);
  const startAt = Date.now() + 1500;
  const running = spawnWorkers(procs, {
    LEDGER_WORKER_WRITERS: String(writers),
    LEDGER_WORKER_SECONDS: String(seconds),
    LEDGER_WORKER_MARKER: marker,
    LEDGER_WORKER_START_AT: String(startAt),
    LEDGER_WORKER_LINGER_MS: '3000',
  });
  await new Promise((r) => setTimeout(r, startAt - Date.now()));
  const a = snapshot(set);
  const results = await running;
  const cpu = usageBetween(a, snapshot(set), cpus().length);
  const appended = results.reduce((n, r) => n + r.appended, 0);
  const wall = Math.max(...results.map((r) => r.seconds));
  const { rows } = await adminDb.query<{ batches: string }>(
    `SELECT count(DISTINCT recorded_at) AS batches FROM ledger_entries WHERE operation = 'benchAppend' AND details->>'marker' = $1`,
    [marker],
  );
  const writerCpu = results.reduce((n, r) => n + r.cpuSeconds, 0);
  const pgCpuSeconds = ((cpu.postgres ?? 0) / 100) * cpu.seconds;
  return {
    processes: procs,
    writersPerProcess: writers,
    appended,
    seconds: Math.round(wall * 100) / 100,
    appendsPerSec: Math.round(appended / wall),
    meanBatch: Math.round((appended / Math.max(1, Number(rows[0].batches))) * 10) / 10,
    latencyMs: quantiles(results.flatMap((r) => [r.latencyMs.p50])).p50,
    latencyP95Ms: Math.max(...results.map((r) => r.latencyMs.p95)),
    cpuPercentOfCore: {
      postgres: cpu.postgres,
      writers: Math.round((writerCpu / cpu.seconds) * 100),
      // everything else on the machine (other users' jobs): the figures are only comparable when this is low
      others: Math.max(0, cpu.machineBusy - (cpu.postgres ?? 0) - Math.round((writerCpu / cpu.seconds) * 100) - (cpu.gateway ?? 0) - (cpu.worker ?? 0) - (cpu.bench ?? 0)),
      machineBusy: cpu.machineBusy,
      capacity: cpu.machineCapacity,
    },
    cpuMicrosPerAppend: {
      postgres: Math.round((pgCpuSeconds / appended) * 1e6),
      writers: Math.round((writerCpu / appended) * 1e6),
    },
  };
}

async function apiWrap(appendCpuMicros: number): Promise<Record<string, unknown>> {
  const url = requireEnv('KEYBRIDGE_GATEWAY_URL');
  const concurrency = num('LEDGER_BENCH_API_CONCURRENCY', 64);
  const seconds = num('LEDGER_BENCH_API_SECONDS', 8);
  const fixture = await createFixture(`${url}/graphql`, process.env.BENCH_POOL ?? 'pool-a', false);
  const target = parseTarget(url);
  const query = 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }';
  const source = {
    next: () => ({
      raw: buildPost(target, fixture.token, JSON.stringify({ query, variables: { k: { vault: fixture.vault, name: 'kwp' }, v: randomBytes(32).toString('base64url') } })),
      check: (body: Buffer): string | null => (JSON.parse(body.toString('utf8')).data?.wrapKey?.value ? null : 'error: no wrapKey value'),
    }),
  };
  const set = processesOf(process.env.KEYBRIDGE_DATA_DIR);
  const warm = await openConnections(target, concurrency);
  await runLoad(warm, source, 1.5);
  const a = snapshot(set);
  const load: LoadResult = await runLoad(warm, source, seconds);
  const cpu = usageBetween(a, snapshot(set), cpus().length);
  closeConnections(warm);
  const serverCpuSeconds = (((cpu.gateway ?? 0) + (cpu.postgres ?? 0) + (cpu.worker ?? 0)) / 100) * cpu.seconds;
  const wrapCpuMicros = Math.round((serverCpuSeconds / Math.max(1, load.ok)) * 1e6);

  // What one operation waits for its entry at this concurrency: one process, `concurrency` writers.
  const [single] = await spawnWorkers(1, { LEDGER_WORKER_WRITERS: String(concurrency), LEDGER_WORKER_SECONDS: '4', LEDGER_WORKER_MARKER: 'latency' });
  return {
    concurrency,
    opsPerSec: load.opsPerSec,
    errors: load.errors,
    latencyMs: load.latencyMs,
    cpuPercentOfCore: { gateway: cpu.gateway, postgres: cpu.postgres, worker: cpu.worker, benchClient: cpu.bench, others: cpu.others, machineBusy: cpu.machineBusy },
    serverCpuMicrosPerWrap: wrapCpuMicros,
    ledgerCpuMicrosPerEntry: appendCpuMicros,
    ledgerShareOfServerCpu: wrapCpuMicros > 0 ? Math.round((appendCpuMicros / wrapCpuMicros) * 1000) / 10 : null,
    appendLatencyAtSameConcurrencyMs: single.latencyMs,
    appendLatencyShareOfWrapP50: load.latencyMs.p50 > 0 ? Math.round((single.latencyMs.p50 / load.latencyMs.p50) * 1000) / 10 : null,
  };
}

function syntheticChain(n: number): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let prev: Buffer = GENESIS_HASH;
  const t = Date.UTC(2026, 0, 1);
  for (let seq = 1; seq <= n; seq++) {
    const input = {
      principalId: `p-${seq % 500}`,
      vault: `vault-${seq % 50}`,
      keyName: `key-${seq % 7}`,
      keyVersion: 1 + (seq % 3),
      operation: seq % 3 ? 'wrapKey' : 'unwrapKey',
      outcome: 'success' as const,
      errorCode: null,
      requestId: `req-${seq}`,
      traceId: seq % 3 ? null : createHash('md5').update(String(seq)).digest('hex'),
      paramsDigest: createHash('sha256').update(String(seq % 11)).digest('hex'),
      details: {},
    };
    const recordedAt = new Date(t + seq);
    const entryHash = chainHash(prev, canonicalEntry(seq, recordedAt, input));
    out.push({ ...input, seq, recordedAt, prevHash: prev, entryHash });
    prev = entryHash;
  }
  return out;
}

async function verification(appDb: DataSource): Promise<Record<string, unknown>> {
  const n = num('LEDGER_BENCH_VERIFY_ENTRIES', 300_000);
  const chain = syntheticChain(n);
  let t = performance.now();
  const v = new ChainVerifier();
  for (const e of chain) v.push(e);
  const memory = v.finish();
  const memorySeconds = (performance.now() - t) / 1000;
  if (!memory.ok) throw new Error(`synthetic chain does not verify: ${memory.reason}`);

  // offline: the same entries as export lines, parsed and verified (what `ledger verify` does after reading the file)
  const lines = [headerLine({ from: 1, to: n, pending: 0 }, new Date()), ...chain.map(exportLine)];
  t = performance.now();
  const offline = new ChainVerifier();
  for (const line of lines.slice(1)) offline.push(parseExportLine(line) as LedgerEntry);
  const offlineSeconds = (performance.now() - t) / 1000;

  const reader = new LedgerReader(appDb);
  const integrator = new LedgerIntegrator(appDb, AppConfig.fromEnv(process.env, ['DATABASE_URL']));
  const verifier = new LedgerVerifier(reader, new CheckpointRepository(appDb), integrator);
  const server = await verifier.verify(undefined, undefined);
  const exporter = new LedgerExporter(reader, new SystemClock(), integrator);
  t = performance.now();
  let exported = 0;
  for await (const line of exporter.lines(await exporter.range(null, null))) exported += line.length > 0 ? 1 : 0;
  const exportSeconds = (performance.now() - t) / 1000;
  return {
    inMemory: { entries: n, entriesPerSec: Math.round(n / memorySeconds) },
    offlineParseAndVerify: { entries: n, entriesPerSec: Math.round(n / offlineSeconds) },
    serverSide: {
      ok: server.ok,
      entries: server.checked,
      checkpointsChecked: server.checkpointsChecked,
      entriesPerSec: Math.round(server.checked / Math.max(server.durationMs / 1000, 1e-3)),
      reason: server.reason ?? null,
    },
    export: { lines: exported - 1, linesPerSec: Math.round((exported - 1) / exportSeconds) },
  };
}

async function checkpointBuild(appDb: DataSource): Promise<Record<string, unknown>> {
  // The stored nodes are append-only, so a from-scratch build is measured with a repository that keeps its nodes in
  // memory (entries still come from Postgres), then the root again with those nodes stored (the incremental path).
  const reader = new LedgerReader(appDb);
  const head = await reader.headSeq();
  class Fresh extends MerkleNodeRepository {
    private readonly mem = new Map<string, Buffer>();
    override async storedChunks(level: number): Promise<number> {
      let n = 0;
      while (this.mem.has(`${level}/${n}`)) n++;
      return n;
    }
    override async nodes(keys: Array<{ level: number; index: number }>): Promise<Map<string, Buffer>> {
      return new Map(keys.filter((k) => this.mem.has(`${k.level}/${k.index}`)).map((k) => [`${k.level}/${k.index}`, this.mem.get(`${k.level}/${k.index}`) as Buffer]));
    }
    override async insert(_db: unknown, nodes: Array<{ level: number; index: number; hash: Buffer }>): Promise<void> {
      for (const n of nodes) this.mem.set(`${n.level}/${n.index}`, n.hash);
    }
  }
  const fresh = new Fresh(appDb);
  let t = performance.now();
  await storeCompleteChunks(head, fresh, appDb);
  const root = await new MerkleProver(new LedgerTree(head, fresh, appDb)).root(head);
  const fromScratchMs = Math.round(performance.now() - t);
  t = performance.now();
  await new MerkleProver(new LedgerTree(head, fresh, appDb)).root(head);
  const incrementalMs = Math.round((performance.now() - t) * 10) / 10;
  return { entries: head, fromScratchMs, entriesPerSec: Math.round(head / Math.max(fromScratchMs / 1000, 1e-3)), rootWithStoredNodesMs: incrementalMs, root: root.toString('hex') };
}

// ------------------------------------------------------------------------------------------------ seeded queries

const OPERATIONS = ['wrapKey', 'unwrapKey', 'encrypt', 'decrypt', 'sign', 'verify', 'getKey', 'listKeys', 'createKey', 'rotateKey'];
const VAULTS = 200;
const KEYS_PER_VAULT = 20;
const PRINCIPALS = 2000;

async function seededQueries(): Promise<Record<string, unknown> | null> {
  const rows = num('LEDGER_BENCH_ROWS', 1_000_000);
  if (rows === 0) return null;
  const adminUrl = requireEnv('DATABASE_MIGRATION_URL');
  const name = 'keybridge_ledger_bench';
  const server = new Client({ connectionString: adminUrl });
  await server.connect();
  await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await server.query(`CREATE DATABASE ${name}`);
  await server.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const ds = new DataSource({ type: 'postgres', url: url.toString(), migrations, migrationsTableName: 'keybridge_migrations', applicationName: 'keybridge-ledger-bench' });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    const chunk = 1_000_000;
    const t0 = performance.now();
    for (let start = 1; start <= rows; start += chunk) {
      const end = Math.min(rows, start + chunk - 1);
      // Deterministic pseudo-random columns from hashint8(seq); time advances 250 ms per entry (10 M ≈ 29 days).
      await ds.query(
        `INSERT INTO ledger_entries (seq, recorded_at, principal_id, vault, key_name, key_version, operation, outcome,
           error_code, request_id, trace_id, params_digest, details, prev_hash, entry_hash)
         SELECT g, timestamptz '2026-01-01 00:00:00+00' + g * interval '250 milliseconds',
           'p-' || (h1 % ${PRINCIPALS}), 'vault-' || (h2 % ${VAULTS}), 'key-' || ((h2 / ${VAULTS}) % ${KEYS_PER_VAULT}), 1 + h3 % 3,
           (ARRAY[${OPERATIONS.map((o) => `'${o}'`).join(',')}])[1 + h3 % ${OPERATIONS.length}],
           CASE WHEN h1 % 100 < 96 THEN 'success' WHEN h1 % 100 < 99 THEN 'denied' ELSE 'failed' END,
           CASE WHEN h1 % 100 < 96 THEN NULL WHEN h1 % 100 < 99 THEN 'FORBIDDEN' ELSE 'KEY_NOT_FOUND' END,
           'req-' || g, CASE WHEN h3 % 10 < 3 THEN md5(g::text) END, NULL, '{}'::jsonb,
           sha256(int8send(g - 1)), sha256(int8send(g))
         FROM generate_series($1::bigint, $2::bigint) AS g,
           LATERAL (SELECT hashint8(g)::bigint & 2147483647 AS h1, hashint8(g + 7919)::bigint & 2147483647 AS h2,
                           hashint8(g + 104729)::bigint & 2147483647 AS h3) AS h`,
        [start, end],
      );
      log(`bench: seeded ${end.toLocaleString('en')} / ${rows.toLocaleString('en')} rows (${Math.round((performance.now() - t0) / 1000)} s)`);
    }
    await ds.query('VACUUM ANALYZE ledger_entries');
    const seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
    const { size } = (await ds.query(`SELECT pg_size_pretty(pg_total_relation_size('ledger_entries')) AS size`))[0] as { size: string };

    const repo = new AuditEntryRepository(ds);
    const samples = num('LEDGER_BENCH_QUERY_SAMPLES', 200);
    const time = async (make: () => { filter: AuditFilter; after: number }): Promise<{ p50: number; p95: number; p99: number; max: number; rows: number }> => {
      const ms: number[] = [];
      let total = 0;
      for (let i = 0; i < samples; i++) {
        const { filter, after } = make();
        const t = performance.now();
        total += (await repo.page(filter, after, 101, ds)).length;
        ms.push(performance.now() - t);
      }
      return { ...quantiles(ms), rows: Math.round(total / samples) };
    };
    const vault = (): string => `vault-${randomInt(VAULTS)}`;
    const deep = (): number => randomInt(Math.floor(rows * 0.4), Math.floor(rows * 0.9));
    const day0 = Date.UTC(2026, 0, 1);
    const spanMs = rows * 250;
    const queries: Record<string, { p50: number; p95: number; p99: number; max: number; rows: number }> = {
      'vault, first page': await time(() => ({ filter: { vaults: [vault()] }, after: 0 })),
      'vault + operation, first page': await time(() => ({ filter: { vaults: [vault()], operations: [OPERATIONS[randomInt(OPERATIONS.length)]] }, after: 0 })),
      'key (kid), first page': await time(() => ({ filter: { keys: [{ vault: vault(), keyName: `key-${randomInt(KEYS_PER_VAULT)}` }] }, after: 0 })),
      'principal + outcome denied, first page': await time(() => ({ filter: { principals: [`p-${randomInt(PRINCIPALS)}`], outcomes: ['denied'] }, after: 0 })),
      'outcome failed, first page': await time(() => ({ filter: { outcomes: ['failed'] }, after: 0 })),
      '3 vaults, first page': await time(() => ({ filter: { vaults: [vault(), vault(), vault()] }, after: 0 })),
      'one hour window, first page': await time(() => {
        const from = day0 + randomInt(Math.max(1, spanMs - 3_600_000));
        return { filter: { from: new Date(from), to: new Date(from + 3_600_000) }, after: 0 };
      }),
      'vault, deep page': await time(() => ({ filter: { vaults: [vault()] }, after: deep() })),
      'key (kid), deep page': await time(() => ({ filter: { keys: [{ vault: vault(), keyName: `key-${randomInt(KEYS_PER_VAULT)}` }] }, after: deep() })),
      'no filter, deep page': await time(() => ({ filter: {}, after: deep() })),
      'vault + operation, deep page': await time(() => ({ filter: { vaults: [vault()], operations: [OPERATIONS[randomInt(OPERATIONS.length)]] }, after: deep() })),
    };
    let t = performance.now();
    const summary = await repo.summary('OPERATION', { vaults: [vault()] }, 10_000);
    const summaryVaultMs = Math.round(performance.now() - t);
    t = performance.now();
    await repo.summary('DAY', {}, 10_000);
    const summaryAllDaysMs = Math.round(performance.now() - t);
    return { rows, seedSeconds, tableSize: size, samplesPerQuery: samples, pageSize: 100, queries, summary: { byOperationOneVaultMs: summaryVaultMs, groups: summary.length, byDayWholeLedgerMs: summaryAllDaysMs } };
  } finally {
    await ds.destroy();
    if (process.env.LEDGER_BENCH_KEEP_DB !== '1') {
      const s = new Client({ connectionString: adminUrl });
      await s.connect();
      await s.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await s.end();
    }
  }
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const adminDb = new Client({ connectionString: process.env.DATABASE_MIGRATION_URL ?? requireEnv('DATABASE_URL') });
  await adminDb.connect();
  const appDb = new DataSource({ type: 'postgres', url: requireEnv('DATABASE_URL'), applicationName: 'keybridge-ledger-bench' });
  await appDb.initialize();
  const result: Record<string, unknown> = { at: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model };
  const parts = new Set((process.env.LEDGER_BENCH_PARTS ?? 'appends,api,verify,checkpoint,queries').split(',').map((p) => p.trim()));
  try {
    if (parts.has('appends')) {
      log(`bench: ledger appends (${num('LEDGER_BENCH_PROCS', 2)} processes × ${num('LEDGER_BENCH_WRITERS', 32)} writers, ${num('LEDGER_BENCH_SECONDS', 10)} s)`);
      const a = await appends(adminDb);
      result.appends = a;
      log(`  ${a.appendsPerSec} appends/s, mean batch ${a.meanBatch}, append p50 ${a.latencyMs} ms / p95 ${a.latencyP95Ms} ms; CPU % of a core ${JSON.stringify(a.cpuPercentOfCore)}`);
      if (parts.has('api')) {
        const micros = a.cpuMicrosPerAppend as { postgres: number; writers: number };
        log("bench: AES-KWP wrapKey through the API, and the ledger's part in it");
        const w = await apiWrap(micros.postgres + micros.writers);
        result.apiWrap = w;
        const p50 = (w.latencyMs as LoadResult['latencyMs']).p50;
        const append = (w.appendLatencyAtSameConcurrencyMs as { p50: number }).p50;
        log(`  ${w.opsPerSec} wraps/s at ${w.concurrency}, p50 ${p50} ms; server CPU ${w.serverCpuMicrosPerWrap} µs/wrap, ledger ${w.ledgerCpuMicrosPerEntry} µs/entry (${w.ledgerShareOfServerCpu}%)`);
        log(`  an operation waits ${append} ms (p50) for its entry at ${w.concurrency} writers: ${w.appendLatencyShareOfWrapP50}% of the wrap p50`);
      }
    }
    if (parts.has('verify')) {
      log('bench: verification rate');
      result.verification = await verification(appDb);
      log(`  ${JSON.stringify(result.verification)}`);
    }
    if (parts.has('checkpoint')) {
      log('bench: checkpoint tree head');
      result.checkpoint = await checkpointBuild(appDb);
      log(`  ${JSON.stringify(result.checkpoint)}`);
    }
    if (parts.has('queries') && num('LEDGER_BENCH_ROWS', 1_000_000) > 0) {
      log(`bench: compliance queries on a seeded ledger of ${num('LEDGER_BENCH_ROWS', 1_000_000).toLocaleString('en')} rows (LEDGER_BENCH_ROWS)`);
      const q = await seededQueries();
      result.queries = q;
      if (q) {
        log(`  seeded in ${q.seedSeconds} s (${q.tableSize} with indexes)`);
        log('  query (page of 100)                        p50 ms   p95 ms   rows');
        for (const [name, stats] of Object.entries(q.queries as Record<string, { p50: number; p95: number; rows: number }>)) {
          log(`  ${name.padEnd(42)} ${String(stats.p50).padStart(7)}  ${String(stats.p95).padStart(7)}  ${String(stats.rows).padStart(5)}`);
        }
        log(`  auditSummary ${JSON.stringify(q.summary)}`);
      }
    }
  } finally {
    await appDb.destroy();
    await adminDb.end();
  }
  const dir = resolve(process.env.BENCH_RESULTS_DIR ?? join(__dirname, '..', '..', 'bench', 'results'));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `ledger-${(result.at as string).replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`bench: ledger results written to ${file}`);
}

(process.argv.includes('--worker') ? worker() : main()).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
