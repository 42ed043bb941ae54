/**
 * npm run bench (ops/local/bench.sh starts a throw-away stack and runs this as node dist/bench/run-bench.js).
 *
 * 1. Through the API (admin token): a vault on the pool, a principal with create/get/wrapKey/unwrapKey, an AES-256
 *    key and an RSA-3072 key.
 * 2. Raw PKCS#11 baseline (libs/hsm runRawBaseline) on the SAME pool and the SAME key objects, gateway idle.
 * 3. The same operations through GraphQL with the ledger on: wrapKey(CKM_AES_KEY_WRAP_PAD, 32-byte value) and
 *    unwrapKey(RSA_OAEP, node:crypto OAEP-SHA-1 ciphertext), at each concurrency, every response checked, the
 *    ledger rows added counted and compared with the successful calls, CPU of every process on the machine sampled.
 * 4. A table (ops/s, ratio API/raw, latency, errors), one line per observed bound, and bench/results/<time>.json.
 *
 * Environment (from keybridge.env): KEYBRIDGE_GATEWAY_URL, KEYBRIDGE_ADMIN_TOKEN_FILE, KEYBRIDGE_POOLS_FILE,
 * DATABASE_MIGRATION_URL (or DATABASE_URL), KEYBRIDGE_DATA_DIR (for the pid files).
 * Knobs: BENCH_SECONDS (8) per API measurement and per gateway-shaped raw measurement; BENCH_AUX_SECONDS (3) per other
 * raw variant; BENCH_WARMUP_SECONDS (1.5); BENCH_CONCURRENCY (16) and BENCH_CONCURRENCY_HIGH (64), or
 * BENCH_CONCURRENCIES="16,64"; BENCH_POOL (pool-a); BENCH_OPS ("wrap,unwrap"); BENCH_RAW (1; 0 = API only);
 * BENCH_LABEL (added to the result file name and JSON); BENCH_RESULTS_DIR (<repo>/bench/results);
 * BENCH_GATEWAY_PID (default: <data dir>/run/gateway.pid); BENCH_FLOOR (1; 0 = skip the bare node:http calibration);
 * BENCH_QUIET_MAX_OTHERS (15) and BENCH_QUIET_WAIT (90): before each measurement wait up to 90 s until other processes
 * use at most 15 % of a core; BENCH_CONTAMINATED_AT (25): flag measurements during which they used more.
 * Exit status: 0 when every call succeeded and the ledger matches; 1 otherwise (results are still written).
 */
import { spawn } from 'node:child_process';
import { constants, createPublicKey, JsonWebKey, publicEncrypt, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { loadPoolsFile, RawBaselineResult, RawFamily, runRawBaseline } from '@keybridge/hsm';
import { BenchFixture, createFixture, LedgerCount, ledgerCount, ledgerHead, requireEnv, resolveObjectIds } from './lib/fixtures';
import { buildPost, closeConnections, HttpTarget, LoadResult, openConnections, parseTarget, RequestSource, runLoad } from './lib/http-load';
import { CpuUsage, processesOf, snapshot, usageBetween, waitForQuiet } from './lib/proc-cpu';

type Op = 'wrap' | 'unwrap';

interface ApiRun {
  op: Op;
  operation: 'wrapKey' | 'unwrapKey';
  family: RawFamily;
  concurrency: number;
  load: LoadResult;
  cpu: CpuUsage;
  ledger: LedgerCount;
  auditMatches: boolean;
  /** Other processes used more than BENCH_CONTAMINATED_AT % of a core during the window. */
  contaminated: boolean;
  bounds: string[];
}

const OPS: Record<Op, { operation: 'wrapKey' | 'unwrapKey'; family: RawFamily; title: string }> = {
  wrap: { operation: 'wrapKey', family: 'kwp-wrap', title: 'AES-KWP wrap (32 B, AES-256)' },
  unwrap: { operation: 'unwrapKey', family: 'rsa-oaep-unwrap', title: 'RSA-3072 OAEP-SHA1 unwrap' },
};

const WRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { wrapKey(key: $k, algorithm: $a, value: $v) { kid value } }';
const UNWRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { unwrapKey(key: $k, algorithm: $a, value: $v) { kid value } }';
const KWP_GOAL_OPS = 6000;
const RSA_GOAL_RATIO = 0.85;

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${JSON.stringify(raw)})`);
  return value;
}

function settings() {
  const concurrencies = process.env.BENCH_CONCURRENCIES
    ? process.env.BENCH_CONCURRENCIES.split(',').map((s) => Number(s.trim()))
    : [num('BENCH_CONCURRENCY', 16), num('BENCH_CONCURRENCY_HIGH', 64)];
  if (concurrencies.some((c) => !Number.isInteger(c) || c < 1 || c > 1024)) throw new Error('concurrencies must be integers 1..1024');
  const ops = (process.env.BENCH_OPS ?? 'wrap,unwrap').split(',').map((s) => s.trim()) as Op[];
  if (ops.some((o) => !(o in OPS))) throw new Error('BENCH_OPS is a comma list of wrap, unwrap');
  return {
    seconds: num('BENCH_SECONDS', 8),
    auxSeconds: num('BENCH_AUX_SECONDS', 3),
    warmupSeconds: num('BENCH_WARMUP_SECONDS', 1.5),
    concurrencies: [...new Set(concurrencies)],
    pool: process.env.BENCH_POOL ?? 'pool-a',
    ops,
    raw: process.env.BENCH_RAW !== '0',
    floor: process.env.BENCH_FLOOR !== '0',
    label: (process.env.BENCH_LABEL ?? '').replace(/[^A-Za-z0-9._-]/g, ''),
    resultsDir: process.env.BENCH_RESULTS_DIR ?? resolve(__dirname, '..', '..', 'bench', 'results'),
    quietMaxOthers: num('BENCH_QUIET_MAX_OTHERS', 15),
    quietWaitSeconds: num('BENCH_QUIET_WAIT', 90),
    contaminatedAt: num('BENCH_CONTAMINATED_AT', 25),
  };
}

const b64u = (b: Buffer): string => b.toString('base64url');

function wrapSource(target: HttpTarget, fixture: BenchFixture): RequestSource {
  const aes = fixture.aes as NonNullable<BenchFixture['aes']>;
  const requests = Array.from({ length: 4096 }, () =>
    buildPost(
      target,
      fixture.token,
      JSON.stringify({ query: WRAP, variables: { k: { vault: fixture.vault, name: aes.name }, a: 'CKM_AES_KEY_WRAP_PAD', v: b64u(randomBytes(32)) } }),
    ),
  );
  let i = 0;
  const check = (body: Buffer): string | null => {
    const r = JSON.parse(body.toString('utf8')) as { data?: { wrapKey?: { value?: string } }; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    if (r.errors?.length) return `graphql-${r.errors[0].extensions?.code ?? 'error'}: ${r.errors[0].message}`;
    const value = r.data?.wrapKey?.value;
    // RFC 5649 of 32 bytes = 40 bytes = 54 base64url characters.
    return typeof value === 'string' && value.length === 54 ? null : 'invalid: wrapKey.value is not a 40-byte KWP blob';
  };
  return { next: () => ({ raw: requests[i++ & 4095], check }) };
}

interface RsaSample {
  ciphertext: Buffer;
  plaintext: Buffer;
}

function rsaSamples(fixture: BenchFixture, n: number): RsaSample[] {
  const rsa = fixture.rsa as NonNullable<BenchFixture['rsa']>;
  const key = createPublicKey({ key: rsa.jwk as JsonWebKey, format: 'jwk' });
  return Array.from({ length: n }, () => {
    const plaintext = randomBytes(32);
    return { plaintext, ciphertext: publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plaintext) };
  });
}

function unwrapSource(target: HttpTarget, fixture: BenchFixture, samples: RsaSample[]): RequestSource {
  const rsa = fixture.rsa as NonNullable<BenchFixture['rsa']>;
  const requests = samples.map((s) => {
    const expected = b64u(s.plaintext);
    const raw = buildPost(
      target,
      fixture.token,
      JSON.stringify({ query: UNWRAP, variables: { k: { vault: fixture.vault, name: rsa.name }, a: 'RSA_OAEP', v: b64u(s.ciphertext) } }),
    );
    const check = (body: Buffer): string | null => {
      const r = JSON.parse(body.toString('utf8')) as { data?: { unwrapKey?: { value?: string } }; errors?: Array<{ message: string; extensions?: { code?: string } }> };
      if (r.errors?.length) return `graphql-${r.errors[0].extensions?.code ?? 'error'}: ${r.errors[0].message}`;
      return r.data?.unwrapKey?.value === expected ? null : 'invalid: unwrapKey.value is not the plaintext';
    };
    return { raw, check };
  });
  let i = 0;
  return { next: () => requests[i++ % requests.length] };
}

function boundsOf(run: Pick<ApiRun, 'op' | 'cpu' | 'load'>, cores: number): string[] {
  const { cpu, load } = run;
  const out: string[] = [];
  const capacity = cores * 100;
  if (load.opsPerSec > 0) {
    const ms = (percent: number | null): number => ((percent ?? 0) / 100 / load.opsPerSec) * 1000;
    const server = ms(cpu.gateway) + ms(cpu.postgres) + ms(cpu.worker) + ms(cpu.redis);
    out.push(
      `CPU per call: gateway ${ms(cpu.gateway).toFixed(2)} ms (event loop ${ms(cpu.gatewayEventLoop).toFixed(2)} ms), postgres ${ms(cpu.postgres).toFixed(2)} ms, ` +
        `bench client ${ms(cpu.bench).toFixed(2)} ms → the server side alone could do at most ≈ ${Math.round((cores * 1000) / server)} calls/s on ${cores} cores`,
    );
  }
  if (cpu.gatewayEventLoop !== null && cpu.gatewayEventLoop >= 85) {
    out.push(`gateway event loop saturated: its main JS thread used ${cpu.gatewayEventLoop}% of a core (single-threaded work per request)`);
  }
  const shares = `gateway ${cpu.gateway}%, postgres ${cpu.postgres}%, bench client ${cpu.bench}%, other processes ${cpu.others}%`;
  if (cpu.machineBusy >= capacity * 0.9) {
    out.push(`machine CPU saturated: ${cpu.machineBusy}% of ${capacity}% busy (${shares})`);
  } else if (cpu.machineBusy >= capacity * 0.75) {
    out.push(
      `machine CPU mostly busy: ${cpu.machineBusy}% of ${capacity}% (${shares}); the idle rest is hand-off latency between the event loop, ` +
        `Postgres and the HSM threads (${load.concurrency} in flight / ${load.latencyMs.mean} ms mean latency ≈ ${Math.round((load.concurrency / load.latencyMs.mean) * 1000)}/s)`,
    );
  }
  if (run.op === 'unwrap' && cpu.gatewayOtherThreads !== null && cpu.gatewayOtherThreads >= 100) {
    out.push(`RSA private-key operations on the gateway's libuv threads: ${cpu.gatewayOtherThreads}% of a core`);
  }
  if (out.length === 1) {
    out.push(
      `no CPU resource saturated (machine ${cpu.machineBusy}% of ${capacity}%, gateway event loop ${cpu.gatewayEventLoop}%): ` +
        `bounded by latency × concurrency (${load.concurrency} / ${load.latencyMs.mean} ms ≈ ${Math.round((load.concurrency / load.latencyMs.mean) * 1000)}/s)`,
    );
  }
  return out;
}

interface FloorRun {
  concurrency: number;
  load: LoadResult;
  cpu: CpuUsage;
  serverCpu: number | null;
}

/** Calibration: the same client against a bare node:http JSON endpoint (bench/lib/floor-server.ts). */
async function measureFloor(
  concurrencies: number[],
  seconds: number,
  warmupSeconds: number,
  procs: ReturnType<typeof processesOf>,
  cores: number,
  quiet: () => Promise<unknown>,
): Promise<FloorRun[]> {
  const child = spawn(process.execPath, [join(__dirname, 'lib', 'floor-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
      child.stdout.once('data', (chunk: Buffer) => resolvePort(Number(chunk.toString().trim())));
    });
    const target: HttpTarget = { host: '127.0.0.1', port, path: '/graphql' };
    const raw = buildPost(target, 'floor', JSON.stringify({ query: WRAP, variables: { k: { vault: 'v', name: 'k' }, a: 'CKM_AES_KEY_WRAP_PAD', v: b64u(randomBytes(32)) } }));
    const check = (body: Buffer): string | null => (JSON.parse(body.toString('utf8')).data ? null : 'invalid');
    const source: RequestSource = { next: () => ({ raw, check }) };
    const out: FloorRun[] = [];
    for (const concurrency of concurrencies) {
      await quiet();
      const connections = await openConnections(target, concurrency);
      try {
        await runLoad(connections, target, source, warmupSeconds);
        const server = { gatewayPid: child.pid };
        const before = snapshot({ ...procs, ...server });
        const load = await runLoad(connections, target, source, seconds);
        const cpu = usageBetween(before, snapshot({ ...procs, ...server }), cores);
        out.push({ concurrency, load, cpu, serverCpu: cpu.gateway });
      } finally {
        closeConnections(connections);
      }
    }
    return out;
  } finally {
    child.kill('SIGTERM');
  }
}

function pad(s: string | number, n: number, left = false): string {
  const t = String(s);
  return left ? t.padEnd(n) : t.padStart(n);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const cfg = settings();
  const gatewayUrl = requireEnv('KEYBRIDGE_GATEWAY_URL');
  const graphqlUrl = `${gatewayUrl}/graphql`;
  const target = parseTarget(gatewayUrl);
  const dataDir = process.env.KEYBRIDGE_DATA_DIR;
  const gatewayPidOverride = process.env.BENCH_GATEWAY_PID ? Number(process.env.BENCH_GATEWAY_PID) : undefined;
  const cores = cpus().length;
  const startedAt = new Date();
  const log = (line: string): void => console.log(line);
  const machine = { cores, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };

  log(`bench: ${startedAt.toISOString()}  ${cores} cores (${machine.cpuModel}), Node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
  log(`bench: gateway ${gatewayUrl}, pool ${cfg.pool}, ${cfg.seconds} s per measurement (aux raw ${cfg.auxSeconds} s, warm-up ${cfg.warmupSeconds} s), concurrency ${cfg.concurrencies.join(' and ')}`);

  const pools = loadPoolsFile(requireEnv('KEYBRIDGE_POOLS_FILE'));
  const pool = pools.find((p) => p.name === cfg.pool);
  if (!pool) throw new Error(`pool ${cfg.pool} is not in KEYBRIDGE_POOLS_FILE`);

  const db = new Client({ connectionString: process.env.DATABASE_MIGRATION_URL ?? requireEnv('DATABASE_URL') });
  await db.connect();
  let exitCode = 0;
  try {
    const pgSettings = Object.fromEntries(
      (await db.query<{ name: string; setting: string }>("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")).rows.map((r) => [r.name, r.setting]),
    );
    log(`bench: Postgres fsync=${pgSettings.fsync} synchronous_commit=${pgSettings.synchronous_commit}${pgSettings.fsync === 'off' ? ' (ephemeral: ledger commits are not flushed to disk; BENCH_DURABLE=1 for durable commits)' : ''}`);
    const needRsa = cfg.ops.includes('unwrap');
    log('bench: creating the vault, principal, AES-256 and RSA-3072 keys through the API');
    const fixture = await createFixture(graphqlUrl, cfg.pool, needRsa);
    await resolveObjectIds(db, fixture);
    const samples = needRsa ? rsaSamples(fixture, 256) : [];
    log(`bench: vault ${fixture.vault}; AES key object ${fixture.aes?.objectId}${needRsa ? `, RSA key object ${fixture.rsa?.objectId}` : ''}`);

    // ------------------------------------------------------------------------------------------ raw baseline
    const procs = processesOf(dataDir, gatewayPidOverride ? { gatewayPid: gatewayPidOverride } : {});
    if (!procs.gatewayPid) log('bench: WARNING: gateway pid unknown (no <data dir>/run/gateway.pid, no BENCH_GATEWAY_PID): no gateway CPU figures');
    const quiet = (): Promise<unknown> => waitForQuiet(procs, cores, cfg.quietMaxOthers, cfg.quietWaitSeconds, log);
    const contaminated: string[] = [];
    let raw: RawBaselineResult | undefined;
    const rawWindows: Record<string, CpuUsage> = {};
    if (cfg.raw) {
      let windowStart: ReturnType<typeof snapshot> | undefined;
      log(`bench: raw PKCS#11 baseline on ${pool.name} (${pool.vendor}, ${pool.sessions} sessions), the gateway idle`);
      raw = await runRawBaseline({
        pool,
        aesObjectId: fixture.aes?.objectId,
        rsaObjectId: fixture.rsa?.objectId,
        rsaSamples: samples,
        seconds: cfg.seconds,
        auxSeconds: cfg.auxSeconds,
        warmupSeconds: Math.min(cfg.warmupSeconds, 1),
        inFlight: cfg.concurrencies[0],
        families: cfg.ops.map((o) => OPS[o].family),
        beforeEach: async () => void (await quiet()),
        onWindow: (id, phase) => {
          if (phase === 'start') windowStart = snapshot(procs);
          else if (windowStart) rawWindows[id] = usageBetween(windowStart, snapshot(procs), cores);
        },
        log: (line) => {
          const id = /^raw (\S+)/.exec(line)?.[1];
          const u = id ? rawWindows[id] : undefined;
          if (id && u && u.others > cfg.contaminatedAt) contaminated.push(`raw ${id}: other processes used ${u.others}% of a core`);
          log(u ? `${line}  [machine ${u.machineBusy}%, others ${u.others}%${u.others > cfg.contaminatedAt ? ' CONTAMINATED' : ''}]` : line);
        },
      });
      const rawErrors = raw.measurements.filter((m) => m.errors > 0);
      if (rawErrors.length) {
        exitCode = 1;
        for (const m of rawErrors) log(`!!!!! RAW BASELINE ERRORS: ${m.id}: ${m.errors} errors, first: ${m.firstError}`);
      }
    }

    // ------------------------------------------------------------------------------------------ HTTP floor
    let floor: FloorRun[] = [];
    if (cfg.floor) {
      log('bench: calibration — the same client against a bare node:http JSON endpoint (no GraphQL, auth, DB, HSM)');
      floor = await measureFloor(cfg.concurrencies, cfg.auxSeconds, Math.min(cfg.warmupSeconds, 1), procs, cores, quiet);
      for (const f of floor) {
        if (f.cpu.others > cfg.contaminatedAt) contaminated.push(`floor @${f.concurrency}: other processes used ${f.cpu.others}% of a core`);
        log(
          `floor @${String(f.concurrency).padEnd(3)} ${String(f.load.opsPerSec).padStart(6)} req/s  p50 ${f.load.latencyMs.p50} ms  server cpu ${f.serverCpu}%, ` +
            `client ${f.load.clientCpuPercent}%, others ${f.cpu.others}%, machine ${f.cpu.machineBusy}/${f.cpu.machineCapacity}%`,
        );
      }
    }

    // ------------------------------------------------------------------------------------------ API
    const runs: ApiRun[] = [];
    for (const op of cfg.ops) {
      const { operation, family } = OPS[op];
      const source = op === 'wrap' ? wrapSource(target, fixture) : unwrapSource(target, fixture, samples);
      for (const concurrency of cfg.concurrencies) {
        await quiet();
        const connections = await openConnections(target, concurrency);
        try {
          const warm = await runLoad(connections, target, source, cfg.warmupSeconds);
          if (warm.ok === 0) {
            throw new Error(`${operation} @${concurrency}: no successful call during warm-up; errors: ${JSON.stringify(warm.errorKinds)} ${warm.errorSamples.join(' | ')}`);
          }
          const head = await ledgerHead(db);
          const before = snapshot(procs);
          const load = await runLoad(connections, target, source, cfg.seconds);
          const after = snapshot(procs);
          const ledger = await ledgerCount(db, fixture.vault, operation, head);
          const cpu = usageBetween(before, after, cores);
          const auditMatches = ledger.success === load.ok;
          const dirty = cpu.others > cfg.contaminatedAt;
          if (dirty) contaminated.push(`api ${operation}@${concurrency}: other processes used ${cpu.others}% of a core`);
          const run: ApiRun = { op, operation, family, concurrency, load, cpu, ledger, auditMatches, contaminated: dirty, bounds: [] };
          run.bounds = boundsOf(run, cores);
          runs.push(run);
          log(
            `api ${operation}@${String(concurrency).padEnd(3)} ${String(load.opsPerSec).padStart(6)} ops/s  p50 ${load.latencyMs.p50} ms  p99 ${load.latencyMs.p99} ms  ` +
              `errors ${load.errors}  ledger +${ledger.success} success/+${ledger.total} total  cpu: gateway ${cpu.gateway}% (loop ${cpu.gatewayEventLoop}%), ` +
              `postgres ${cpu.postgres}%, client ${load.clientCpuPercent}%, others ${cpu.others}%, machine ${cpu.machineBusy}/${cpu.machineCapacity}%` +
              (dirty ? '  CONTAMINATED' : ''),
          );
          if (load.errors > 0) {
            exitCode = 1;
            log(`!!!!! ${load.errors} FAILED CALLS (${pct(load.errors / Math.max(1, load.completed))}) in ${operation}@${concurrency}: ${JSON.stringify(load.errorKinds)}`);
            for (const s of load.errorSamples) log(`!!!!!   ${s}`);
          }
          if (!auditMatches) {
            exitCode = 1;
            log(`!!!!! LEDGER MISMATCH in ${operation}@${concurrency}: ${load.ok} successful calls but ${ledger.success} success entries (${ledger.total} entries in all)`);
          }
        } finally {
          closeConnections(connections);
        }
      }
    }

    // ------------------------------------------------------------------------------------------ report
    const rows = cfg.ops.map((op) => {
      const { family, title } = OPS[op];
      const reference = raw?.reference[family];
      const best = raw?.best[family];
      const byC = new Map(runs.filter((r) => r.op === op).map((r) => [r.concurrency, r]));
      return { op, family, title, reference, best, byC };
    });

    log('');
    log('='.repeat(120));
    log(`Keybridge bench ${startedAt.toISOString()} — ${cores} cores, ${cfg.seconds} s per measurement, pool ${pool.name} (${pool.vendor}), ledger on, Postgres fsync=${pgSettings.fsync}`);
    log('='.repeat(120));
    const cs = cfg.concurrencies;
    log(
      pad('operation', 30, true) +
        pad('raw ops/s', 11) +
        cs.map((c) => pad(`API @${c}`, 10)).join('') +
        cs.map((c) => pad(`API/raw @${c}`, 14)).join('') +
        cs.map((c) => pad(`p50/p99 ms @${c}`, 18)).join('') +
        pad('errors', 8),
    );
    for (const row of rows) {
      const rawOps = row.reference?.opsPerSec;
      log(
        pad(row.title, 30, true) +
          pad(rawOps ?? '-', 11) +
          cs.map((c) => pad(row.byC.get(c)?.load.opsPerSec ?? '-', 10)).join('') +
          cs.map((c) => {
            const r = row.byC.get(c);
            return pad(r && rawOps ? pct(r.load.opsPerSec / rawOps) : '-', 14);
          }).join('') +
          cs.map((c) => {
            const r = row.byC.get(c);
            return pad(r ? `${r.load.latencyMs.p50}/${r.load.latencyMs.p99}` : '-', 18);
          }).join('') +
          pad(cs.reduce((n, c) => n + (row.byC.get(c)?.load.errors ?? 0), 0), 8),
      );
    }
    if (floor.length) {
      const byC = new Map(floor.map((f) => [f.concurrency, f]));
      log(
        pad('(floor: bare node:http JSON)', 30, true) +
          pad('-', 11) +
          cs.map((c) => pad(byC.get(c)?.load.opsPerSec ?? '-', 10)).join('') +
          cs.map(() => pad('', 14)).join('') +
          cs.map((c) => {
            const f = byC.get(c);
            return pad(f ? `${f.load.latencyMs.p50}/${f.load.latencyMs.p99}` : '-', 18);
          }).join('') +
          pad(floor.reduce((n, f) => n + f.load.errors, 0), 8),
      );
    }
    log('');
    for (const row of rows) {
      if (row.reference) {
        log(`raw baseline for ${row.title}: ${row.reference.id} = ${row.reference.opsPerSec}/s — ${row.reference.description}`);
      }
      if (row.best && row.best !== row.reference) {
        const top = Math.max(...[...row.byC.values()].map((r) => r.load.opsPerSec));
        log(`  fastest raw variant of any shape: ${row.best.id} = ${row.best.opsPerSec}/s (${row.best.description}); best API / that = ${pct(top / row.best.opsPerSec)}`);
      }
    }
    if (raw) {
      log('raw variants: ' + raw.measurements.map((m) => `${m.id} ${m.opsPerSec}/s`).join('; '));
    }
    log('');
    const wrapRow = rows.find((r) => r.op === 'wrap');
    if (wrapRow && wrapRow.byC.size) {
      const top = Math.max(...[...wrapRow.byC.values()].map((r) => r.load.opsPerSec));
      log(`goal: >= ${KWP_GOAL_OPS} audited AES-KWP wraps/s through the API: ${top >= KWP_GOAL_OPS ? 'MET' : 'NOT MET'} (best ${top}/s = ${pct(top / KWP_GOAL_OPS)} of the goal)`);
    }
    const unwrapRow = rows.find((r) => r.op === 'unwrap');
    if (unwrapRow && unwrapRow.byC.size && unwrapRow.reference) {
      const top = Math.max(...[...unwrapRow.byC.values()].map((r) => r.load.opsPerSec));
      const ratio = top / unwrapRow.reference.opsPerSec;
      log(`goal: RSA-3072 unwrap through the API >= ${pct(RSA_GOAL_RATIO)} of raw: ${ratio >= RSA_GOAL_RATIO ? 'MET' : 'NOT MET'} (best ${top}/s = ${pct(ratio)} of ${unwrapRow.reference.opsPerSec}/s)`);
    }
    log('');
    log('What bounds each API run (CPU as % of one core over the measurement window):');
    for (const r of runs) {
      const c = r.cpu;
      log(
        `  ${r.operation}@${r.concurrency}: gateway ${c.gateway}% (event loop ${c.gatewayEventLoop}%, other threads ${c.gatewayOtherThreads}%), ` +
          `postgres ${c.postgres}%, bench client ${r.load.clientCpuPercent}%, worker ${c.worker}%, redis ${c.redis}%, other processes ${c.others}%, ` +
          `machine ${c.machineBusy}% of ${c.machineCapacity}%`,
      );
      for (const b of r.bounds) log(`    bound: ${b}`);
    }
    for (const f of floor) {
      log(
        `  floor@${f.concurrency}: bare node:http server ${f.serverCpu}%, bench client ${f.load.clientCpuPercent}%, other processes ${f.cpu.others}%, ` +
          `machine ${f.cpu.machineBusy}% of ${f.cpu.machineCapacity}% — no gateway on this machine can exceed ≈ ${f.load.opsPerSec} calls/s with this client`,
      );
    }
    const audited = runs.every((r) => r.auditMatches);
    log('');
    log(
      audited
        ? `ledger: every successful call has its success entry (${runs.reduce((n, r) => n + r.ledger.success, 0)} entries checked)`
        : '!!!!! LEDGER: the number of success entries does NOT match the successful calls (see above)',
    );

    if (contaminated.length) {
      log('');
      log(`!!!!! ${contaminated.length} measurement(s) ran while other processes used more than ${cfg.contaminatedAt}% of a core — figures are lower than on an idle machine:`);
      for (const c of contaminated) log(`!!!!!   ${c}`);
    } else {
      log(`machine: no other process used more than ${cfg.contaminatedAt}% of a core during any measurement`);
    }

    mkdirSync(cfg.resultsDir, { recursive: true });
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    const file = join(cfg.resultsDir, `${stamp}${cfg.label ? `-${cfg.label}` : ''}.json`);
    const summary = rows.map((row) => ({
      operation: row.title,
      rawBaseline: row.reference ? { id: row.reference.id, opsPerSec: row.reference.opsPerSec } : null,
      fastestRaw: row.best ? { id: row.best.id, opsPerSec: row.best.opsPerSec } : null,
      api: Object.fromEntries(
        [...row.byC.entries()].map(([c, r]) => [
          c,
          { opsPerSec: r.load.opsPerSec, ratio: row.reference ? r.load.opsPerSec / row.reference.opsPerSec : null, latencyMs: r.load.latencyMs, errors: r.load.errors },
        ]),
      ),
    }));
    const result = {
      startedAt: startedAt.toISOString(),
      label: cfg.label || null,
      machine,
      postgres: pgSettings,
      settings: { ...cfg, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null, gatewayUrl, pool: { name: pool.name, vendor: pool.vendor, sessions: pool.sessions } },
      fixture: { vault: fixture.vault, aesObjectId: fixture.aes?.objectId, rsaObjectId: fixture.rsa?.objectId ?? null },
      summary,
      raw: raw ? { ...raw, cpu: rawWindows } : null,
      floor,
      api: runs,
      contaminated,
      ledgerMatches: audited,
      exitCode,
    };
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    log(`results: ${file}`);
    if (exitCode !== 0) log('bench: FINISHED WITH ERRORS (see the !!!!! lines above)');
  } finally {
    await db.end();
  }
  process.exitCode = exitCode;
}

main().catch((error: unknown) => {
  console.error('bench: FAILED:', error instanceof Error ? error.stack ?? error.message : error);
  process.exit(1);
});
