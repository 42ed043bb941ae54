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
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadPoolsFile, RawBaselineResult, RawFamily, runRawBaseline } from '@keybridge/hsm';
import { ApiWindow, measureApiWindow, windowFailures, windowLine } from './lib/api-window';
import { boundsOf, cpuLine } from './lib/bounds';
import { BenchFixture, createFixture, requireEnv, resolveObjectIds } from './lib/fixtures';
import { buildPost, closeConnections, HttpTarget, LoadResult, openConnections, parseTarget, RequestSource, runLoad } from './lib/http-load';
import { commonSettings, list } from './lib/knobs';
import { CpuUsage, processesOf, snapshot, usageBetween, waitForQuiet } from './lib/proc-cpu';
import { rawErrorLines, rawWindowHooks } from './lib/raw-windows';
import { pad, pct, writeResults } from './lib/report';

type Op = 'wrap' | 'unwrap';

interface ApiRun extends ApiWindow {
  op: Op;
  operation: 'wrapKey' | 'unwrapKey';
  family: RawFamily;
  concurrency: number;
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

function settings() {
  return {
    ...commonSettings(),
    ops: list<Op>('BENCH_OPS', 'wrap,unwrap', ['wrap', 'unwrap']),
    floor: process.env.BENCH_FLOOR !== '0',
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

/** Only unwrapKey runs RSA, on the gateway's libuv threads. */
function rsaBound(run: ApiRun): string[] {
  const other = run.cpu.gatewayOtherThreads;
  return run.op === 'unwrap' && other !== null && other >= 100 ? [`RSA private-key operations on the gateway's libuv threads: ${other}% of a core`] : [];
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
        await runLoad(connections, source, warmupSeconds);
        const server = { gatewayPid: child.pid, moreGatewayPids: [] };
        const before = snapshot({ ...procs, ...server });
        const load = await runLoad(connections, source, seconds);
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
    const { windows: rawWindows, hooks } = rawWindowHooks({ procs, cores, contaminatedAt: cfg.contaminatedAt, quiet, log, contaminated });
    if (cfg.raw) {
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
        ...hooks,
      });
      const rawErrors = rawErrorLines(raw);
      if (rawErrors.length) exitCode = 1;
      for (const line of rawErrors) log(line);
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
    const ctx = { db, procs, cores, seconds: cfg.seconds, warmupSeconds: cfg.warmupSeconds, contaminatedAt: cfg.contaminatedAt, quiet };
    for (const op of cfg.ops) {
      const { operation, family } = OPS[op];
      const source = op === 'wrap' ? wrapSource(target, fixture) : unwrapSource(target, fixture, samples);
      for (const concurrency of cfg.concurrencies) {
        const window = await measureApiWindow(ctx, { targets: [target], concurrency, source, ledger: { vault: fixture.vault, operation } });
        const run: ApiRun = { op, operation, family, concurrency, ...window, bounds: [] };
        run.bounds = boundsOf(run, cores, rsaBound(run));
        runs.push(run);
        if (run.contaminated) contaminated.push(`api ${operation}@${concurrency}: other processes used ${run.cpu.others}% of a core`);
        log(windowLine(`${operation}@${concurrency}`, run));
        const failures = windowFailures(`${operation}@${concurrency}`, run);
        if (failures.length) exitCode = 1;
        for (const line of failures) log(line);
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
      log(`  ${r.operation}@${r.concurrency}: ${cpuLine(r.cpu, r.load.clientCpuPercent)}`);
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
    log(`results: ${writeResults(cfg.resultsDir, '', startedAt, cfg.label, result)}`);
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
