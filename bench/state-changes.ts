/**
 * State-change benchmark (issue #18), run by ops/local/bench.sh after the other parts, or alone against a running
 * stack: `source <data dir>/keybridge.env && node dist/bench/state-changes.js`. docs/benchmarks.md describes it.
 *
 * 1. Fixture through the API: a vault on BENCH_POOL, a principal (create, get, wrapKey, unwrapKey, escrowDeposit,
 *    escrowRelease), an AES-256 KEK; 16 data keys wrapped by wrapKey (the deposit blobs); BENCH_RELEASE_RECORDS
 *    records made by generateDataKey (for the releases and the raw unwrap baseline).
 * 2. Raw PKCS#11 baselines on the same pool and KEK object, gateway idle (libs/hsm raw-state-changes.ts):
 *    generate-data-key, release-data-key, create-key; deposit does no HSM work.
 * 3. Through GraphQL with the keep-alive load client, per operation and concurrency, after a warm-up:
 *    generateDataKey, depositWrappedKey, releaseDataKey, createKey; every response checked; the ledger's success
 *    entries of the window (once integrated) compared with the successful calls; the escrow rows (keys rows for
 *    createKey) added compared with them too; CPU of every process and what Postgres did (pg-stats.ts).
 * 4. Scale-out: a second gateway process on the same stack; per operation at BENCH_SCALE_CONCURRENCY, one gateway
 *    then both (connections split evenly), back to back.
 * 5. A table, the goals, what bounds each run, and bench/results/state-changes-<time>[-label].json.
 *
 * Knobs: the shared ones (bench/lib/knobs.ts: BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_CONCURRENCY[_HIGH] or
 * BENCH_CONCURRENCIES, BENCH_POOL, BENCH_RAW, BENCH_LABEL, BENCH_RESULTS_DIR, BENCH_QUIET_*, BENCH_CONTAMINATED_AT),
 * BENCH_GATEWAY_PID, and BENCH_STATE_OPS ("generate,deposit,release,create"), BENCH_RELEASE_RECORDS (2048),
 * BENCH_SCALE (1; 0 skips the scale-out), BENCH_SCALE_OPS (= BENCH_STATE_OPS), BENCH_SCALE_CONCURRENCY (the highest
 * concurrency). Exit status 1 when a call failed, a count did not match or a check failed (results still written).
 */
import { randomBytes } from 'node:crypto';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadPoolsFile, RawBaselineResult, RawFamily, RawMeasurement, runRawBaseline } from '@keybridge/hsm';
import { ApiWindow, measureApiWindow, WindowContext, windowFailures, windowLine } from './lib/api-window';
import { boundsOf, cpuLine } from './lib/bounds';
import { createFixture, Gql, requireEnv, resolveObjectIds } from './lib/fixtures';
import { HttpTarget, parseTarget, RequestSource } from './lib/http-load';
import { ExtraGateway } from './lib/gateway-process';
import { commonSettings, list, num } from './lib/knobs';
import { pgPerCall, PgWindowStats } from './lib/pg-stats';
import { processesOf, waitForQuiet } from './lib/proc-cpu';
import { rawErrorLines, rawWindowHooks } from './lib/raw-windows';
import { pad, pct, writeResults } from './lib/report';
import { createKeySource, DataKeyRecord, depositSource, generateSource, GENERATE, releaseSource, WrappedSample } from './lib/state-change-sources';

type Op = 'generate' | 'deposit' | 'release' | 'create';
const ALL_OPS: readonly Op[] = ['generate', 'deposit', 'release', 'create'];

interface OpInfo {
  mutation: string;
  /** the ledger entry's operation */
  ledger: string;
  family: RawFamily | null;
  title: string;
  /** calls/s at concurrency 64 (issue #18) */
  goal: number;
}

const OPS: Record<Op, OpInfo> = {
  generate: { mutation: 'generateDataKey', ledger: 'escrowGenerateDataKey', family: 'generate-data-key', title: 'generateDataKey (AES-256 DEK)', goal: 3000 },
  deposit: { mutation: 'depositWrappedKey', ledger: 'escrowDeposit', family: null, title: 'depositWrappedKey (40 B)', goal: 5000 },
  release: { mutation: 'releaseDataKey', ledger: 'escrowRelease', family: 'release-data-key', title: 'releaseDataKey (KWP)', goal: 3000 },
  create: { mutation: 'createKey', ledger: 'createKey', family: 'create-key', title: 'createKey (oct 256)', goal: 1000 },
};
const GOAL_CONCURRENCY = 64;
const SCALE_GOAL = 1.6;
const WRAP = 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }';

interface Run extends ApiWindow {
  op: Op;
  concurrency: number;
  gateways: number;
  ratioToRaw: number | null;
  rowsMatch: boolean;
  /** createKey: key versions on the pool (≈ the token's objects, which SoftHSM's file store scans) before and after */
  poolKeyVersions: { before: number; after: number } | null;
  bounds: string[];
}

function settings() {
  const common = commonSettings();
  const ops = list<Op>('BENCH_STATE_OPS', ALL_OPS.join(','), ALL_OPS);
  return {
    ...common,
    ops,
    releaseRecords: Math.round(num('BENCH_RELEASE_RECORDS', 2048)),
    scale: process.env.BENCH_SCALE !== '0',
    scaleOps: list<Op>('BENCH_SCALE_OPS', ops.join(','), ALL_OPS),
    scaleConcurrency: Math.round(num('BENCH_SCALE_CONCURRENCY', Math.max(...common.concurrencies))),
  };
}

const b64u = (b: Buffer): string => b.toString('base64url');
const log = (line: string): void => console.log(line);

/** Runs `n` set-up calls with `inFlight` at a time. */
async function inParallel(n: number, inFlight: number, call: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, inFlight) }, async () => {
    while (next < n) await call(next++);
  }));
}

/** Releases a few records through the API and says which did not return their data key. */
async function releaseCheck(owner: Gql, records: DataKeyRecord[]): Promise<string[]> {
  const bad: string[] = [];
  for (const r of records) {
    const { releaseDataKey } = await owner.data<{ releaseDataKey: { plaintext: string } }>('mutation($id: ID!) { releaseDataKey(id: $id) { plaintext } }', { id: r.id });
    if (releaseDataKey.plaintext !== r.plaintext) bad.push(r.id);
  }
  return bad;
}

function sampleOf<T>(items: T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

/**
 * Entries/s the integrator would manage at a 100 % duty cycle with the batches it saw, when it was busy long enough
 * to tell: a lower bound of its ceiling, since its batches grow (and each entry costs less) when it falls behind.
 */
function integratorCeiling(pg: PgWindowStats): number | null {
  return pg.integratorBusy !== null && pg.integratorBusy >= 0.05 ? Math.round(pg.chainEntriesPerSec / pg.integratorBusy) : null;
}

function postgresLine(w: ApiWindow): string | null {
  const pg = w.postgres;
  if (!pg) return null;
  const per = pgPerCall(pg, w.load.opsPerSec);
  const flushes =
    pg.walSyncsPerSec === null
      ? 'n/a'
      : `${pg.walSyncsPerSec}/s${pg.walSyncsPerSec > 0 ? ` (≈ ${(pg.writeXactsPerSec / pg.walSyncsPerSec).toFixed(1)} write transactions per flush)` : ''}`;
  return (
    `postgres: ${pg.writeXactsPerSec} write transactions/s (${per.writeXacts} per call), ≈ ${pg.commitsPerSec ?? 'n/a'} transactions/s with read-only ones, ` +
    `WAL ${Math.round(pg.walBytesPerSec / 1024)} KiB/s (${per.walBytes} B per call), WAL flushes ≈ ${flushes}; client connections ${pg.clientConnections ?? 'n/a'}, active mean/max ` +
    `${pg.activeConnections ? `${pg.activeConnections.mean}/${pg.activeConnections.max}` : 'n/a'}; integrator: ${pg.chainEntriesPerSec} entries/s into the chain, ` +
    `busy ${pg.integratorBusy === null ? 'n/a' : pct(pg.integratorBusy)} of the window${integratorCeiling(pg) ? ` (busy all the time: ≥ ${integratorCeiling(pg)} entries/s)` : ''}, ` +
    `queue backlog at the end ${pg.ledgerQueueBacklog ?? 'n/a'}, last entry in the chain ${w.integrationWaitMs} ms after the window`
  );
}

async function main(): Promise<void> {
  const cfg = settings();
  const gatewayUrl = requireEnv('KEYBRIDGE_GATEWAY_URL');
  const graphqlUrl = `${gatewayUrl}/graphql`;
  const target = parseTarget(gatewayUrl);
  const dataDir = process.env.KEYBRIDGE_DATA_DIR;
  const cores = cpus().length;
  const startedAt = new Date();
  const machine = { cores, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
  log(`state-changes: ${startedAt.toISOString()}  ${cores} cores (${machine.cpuModel}), Node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
  log(`state-changes: gateway ${gatewayUrl}, pool ${cfg.pool}, ops ${cfg.ops.join(',')}, ${cfg.seconds} s per measurement (warm-up ${cfg.warmupSeconds} s), concurrency ${cfg.concurrencies.join(' and ')}`);

  const pool = loadPoolsFile(requireEnv('KEYBRIDGE_POOLS_FILE')).find((p) => p.name === cfg.pool);
  if (!pool) throw new Error(`pool ${cfg.pool} is not in KEYBRIDGE_POOLS_FILE`);
  const db = new Client({ connectionString: process.env.DATABASE_MIGRATION_URL ?? requireEnv('DATABASE_URL') });
  await db.connect();
  const problems: string[] = [];
  const contaminated: string[] = [];
  let extra: ExtraGateway | undefined;
  try {
    const pgSettings = Object.fromEntries(
      (await db.query<{ name: string; setting: string }>("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'max_connections')")).rows.map((r) => [r.name, r.setting]),
    );
    const durable = pgSettings.fsync === 'on' && pgSettings.synchronous_commit !== 'off';
    log(`state-changes: Postgres fsync=${pgSettings.fsync} synchronous_commit=${pgSettings.synchronous_commit}${durable ? '' : ' — NOT durable: the goals are stated for BENCH_DURABLE=1'}`);

    // ---------------------------------------------------------------------------------------------- fixture
    const fixture = await createFixture(graphqlUrl, cfg.pool, false, ['escrowDeposit', 'escrowRelease']);
    await resolveObjectIds(db, fixture);
    const kek = fixture.aes as NonNullable<typeof fixture.aes>;
    const owner = new Gql(graphqlUrl, fixture.token);
    const blobs: WrappedSample[] = [];
    for (let i = 0; i < 16; i++) {
      const plaintext = b64u(randomBytes(32));
      const { wrapKey } = await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault: fixture.vault, name: kek.name }, v: plaintext });
      blobs.push({ wrapped: wrapKey.value, plaintext });
    }
    const setupRecords: DataKeyRecord[] = [];
    if (cfg.ops.includes('release')) {
      await inParallel(cfg.releaseRecords, 16, async () => {
        const { generateDataKey } = await owner.data<{ generateDataKey: { plaintext: string; record: { id: string } } }>(GENERATE, {
          i: { vault: fixture.vault, key: kek.name, bits: 256, owner: 'bench-setup' },
        });
        setupRecords.push({ id: generateDataKey.record.id, plaintext: generateDataKey.plaintext });
      });
    }
    log(`state-changes: vault ${fixture.vault}, KEK object ${kek.objectId}; ${blobs.length} deposit blobs (wrapKey), ${setupRecords.length} records for releases (generateDataKey)`);

    const procs = processesOf(dataDir, process.env.BENCH_GATEWAY_PID ? { gatewayPid: Number(process.env.BENCH_GATEWAY_PID) } : {});
    if (!procs.gatewayPid) log('state-changes: WARNING: gateway pid unknown (no <data dir>/run/gateway.pid, no BENCH_GATEWAY_PID): no gateway CPU figures');
    const quiet = (): Promise<unknown> => waitForQuiet(procs, cores, cfg.quietMaxOthers, cfg.quietWaitSeconds, log);

    // ---------------------------------------------------------------------------------------------- raw
    let raw: RawBaselineResult | undefined;
    const families = cfg.ops.map((o) => OPS[o].family).filter((f): f is RawFamily => f !== null);
    const { windows: rawWindows, hooks } = rawWindowHooks({ procs, cores, contaminatedAt: cfg.contaminatedAt, quiet, log, contaminated });
    if (cfg.raw && families.length) {
      log(`state-changes: raw PKCS#11 baselines on ${pool.name} (${pool.vendor}, ${pool.sessions} sessions), the gateway idle`);
      let kwpSamples: Array<{ wrapped: Buffer; plaintext: Buffer }> = [];
      if (families.includes('release-data-key')) {
        const byId = new Map(setupRecords.map((r) => [r.id, r.plaintext]));
        const { rows } = await db.query<{ id: string; wrapped: Buffer }>('SELECT id, wrapped FROM escrow_records WHERE id = ANY($1::uuid[])', [sampleOf(setupRecords, 1024).map((r) => r.id)]);
        kwpSamples = rows.map((r) => ({ wrapped: r.wrapped, plaintext: Buffer.from(byId.get(r.id) as string, 'base64url') }));
      }
      raw = await runRawBaseline({
        pool,
        aesObjectId: kek.objectId,
        kwpSamples,
        seconds: cfg.seconds,
        auxSeconds: cfg.auxSeconds,
        warmupSeconds: Math.min(cfg.warmupSeconds, 1),
        inFlight: cfg.concurrencies[0],
        families,
        ...hooks,
      });
      const rawErrors = rawErrorLines(raw);
      problems.push(...rawErrors);
      for (const line of rawErrors) log(line);
      // SoftHSM's file store reloads in the gateway after another process changed the token (create-key)
      await new Promise((r) => setTimeout(r, 2000));
    }

    // ---------------------------------------------------------------------------------------------- API
    const generated: DataKeyRecord[] = [];
    const deposited: DataKeyRecord[] = [];
    const releaseRecords = [...setupRecords];
    const releases = releaseSource(target, fixture.token, releaseRecords);
    const keyPrefix = `k${randomBytes(3).toString('hex')}`;
    // One source per operation for the whole run (createKey's names stay unique); requests carry the first
    // gateway's Host header on every connection, which the gateways do not look at.
    const sources: Record<Op, RequestSource> = {
      generate: generateSource(target, fixture.token, fixture.vault, kek.name, (r) => generated.push(r)),
      deposit: depositSource(target, fixture.token, fixture.vault, kek.name, blobs, deposited),
      release: releases,
      create: createKeySource(target, fixture.token, fixture.vault, keyPrefix),
    };
    const rowsOf = (op: Op): (() => Promise<number>) | undefined => {
      const count = async (sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql, [fixture.vault])).rows[0].n);
      const escrow = 'SELECT count(*) AS n FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1 AND r.origin = ';
      if (op === 'generate') return () => count(`${escrow}'generated'`);
      if (op === 'deposit') return () => count(`${escrow}'deposited'`);
      if (op === 'create') return () => count('SELECT count(*) AS n FROM keys k JOIN vaults v ON v.id = k.vault_id WHERE v.name = $1');
      return undefined;
    };
    const runs: Run[] = [];
    const poolKeyVersions = async (): Promise<number> =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM key_versions WHERE pool = $1', [pool.name])).rows[0].n);
    const measure = async (ctx: WindowContext, op: Op, concurrency: number, targets: HttpTarget[]): Promise<Run> => {
      const info = OPS[op];
      const versionsBefore = op === 'create' ? await poolKeyVersions() : null;
      const w = await measureApiWindow(ctx, { targets, concurrency, source: sources[op], ledger: { vault: fixture.vault, operation: info.ledger }, rows: rowsOf(op) });
      const reference = info.family ? raw?.reference[info.family] : undefined;
      const ratioToRaw = reference ? w.load.opsPerSec / reference.opsPerSec : null;
      const extraBounds = ratioToRaw !== null && ratioToRaw >= 0.7 ? [`close to the raw HSM rate: ${pct(ratioToRaw)} of ${reference?.opsPerSec}/s (${reference?.id})`] : [];
      const run: Run = {
        op,
        concurrency,
        gateways: targets.length,
        ...w,
        ratioToRaw,
        rowsMatch: w.rowsAdded === null || w.rowsAdded === w.load.ok,
        poolKeyVersions: versionsBefore === null ? null : { before: versionsBefore, after: await poolKeyVersions() },
        bounds: [],
      };
      run.bounds = boundsOf(run, cores, extraBounds);
      const name = `${info.mutation}@${concurrency}${targets.length > 1 ? ` ×${targets.length} gw` : ''}`;
      if (run.contaminated) contaminated.push(`api ${name}: other processes used ${run.cpu.others}% of a core`);
      log(windowLine(name, run));
      const failures = windowFailures(name, run);
      if (!run.rowsMatch) failures.push(`!!!!! ROW MISMATCH in ${name}: ${run.load.ok} successful calls but ${run.rowsAdded} rows added`);
      problems.push(...failures);
      for (const line of failures) log(line);
      runs.push(run);
      return run;
    };
    let generatedForRelease = 0;
    const addGeneratedRecords = (): void => {
      releaseRecords.push(...generated.slice(generatedForRelease));
      generatedForRelease = generated.length;
    };
    const ctx: WindowContext = { db, procs, cores, seconds: cfg.seconds, warmupSeconds: cfg.warmupSeconds, contaminatedAt: cfg.contaminatedAt, quiet, postgres: true };
    for (const op of cfg.ops) {
      if (op === 'release') addGeneratedRecords();
      for (const concurrency of cfg.concurrencies) await measure(ctx, op, concurrency, [target]);
      if (op === 'generate') {
        const bad = await releaseCheck(owner, sampleOf(generated, 16));
        if (bad.length) problems.push(`!!!!! generateDataKey: released records did not return their data key: ${bad.join(', ')}`);
      }
      if (op === 'deposit') {
        const bad = await releaseCheck(owner, sampleOf(deposited, 16));
        if (bad.length) problems.push(`!!!!! depositWrappedKey: released deposits did not return the wrapped data key: ${bad.join(', ')}`);
      }
    }

    // ---------------------------------------------------------------------------------------------- scale-out
    const scale: Array<{ op: Op; one: Run; two: Run; ratio: number }> = [];
    if (cfg.scale && cfg.scaleOps.length) {
      const logFile = join(dataDir ?? '/tmp', 'run', 'gateway-bench-2.log');
      for (let attempt = 1; !extra; attempt++) {
        try {
          extra = await ExtraGateway.start(logFile);
        } catch (error) {
          // SoftHSM now and then refuses a process that initialises while others change the token; start it again
          if (attempt >= 2) throw error;
          log(`state-changes: the second gateway did not start (${error instanceof Error ? error.message.slice(0, 200) : String(error)}); again`);
        }
      }
      const second = parseTarget(extra.url);
      log(`state-changes: second gateway pid ${extra.pid} on ${extra.url} (log ${logFile})`);
      const ctx2: WindowContext = { ...ctx, procs: { ...procs, moreGatewayPids: extra.pid ? [extra.pid] : [] } };
      for (const op of cfg.scaleOps) {
        if (op === 'release') addGeneratedRecords();
        const one = await measure(ctx2, op, cfg.scaleConcurrency, [target]);
        const two = await measure(ctx2, op, cfg.scaleConcurrency, [target, second]);
        scale.push({ op, one, two, ratio: one.load.opsPerSec > 0 ? two.load.opsPerSec / one.load.opsPerSec : 0 });
      }
    }

    // ---------------------------------------------------------------------------------------------- report
    report({ cfg, startedAt, pool: pool.name, pgSettings, raw, runs, scale, cores });
    const releasesIssued = releases.issued();
    const releaseNote =
      releasesIssued === 0
        ? null
        : `releases: ${releasesIssued} requests over ${releaseRecords.length} records (${setupRecords.length} made beforehand, the rest by the generateDataKey windows), ` +
          `in order: ${releasesIssued <= releaseRecords.length ? 'each release a distinct record' : `every record released ${Math.floor(releasesIssued / releaseRecords.length)}–${Math.ceil(releasesIssued / releaseRecords.length)} times`}; ` +
          'every response compared with the data key generateDataKey returned';
    if (releaseNote) log(releaseNote);
    const audited = runs.reduce((n, r) => n + r.ledger.success, 0);
    log(runs.every((r) => r.auditMatches) ? `ledger: every successful call has its success entry (${audited} entries checked)` : '!!!!! LEDGER: the success entries do NOT match the successful calls (see above)');
    log(runs.every((r) => r.rowsMatch) ? 'rows: every successful generate/deposit added its escrow record, every createKey its key' : '!!!!! ROWS: rows added do NOT match the successful calls (see above)');
    if (contaminated.length) {
      log(`!!!!! ${contaminated.length} measurement(s) ran while other processes used more than ${cfg.contaminatedAt}% of a core — figures are lower than on an idle machine:`);
      for (const c of contaminated) log(`!!!!!   ${c}`);
    } else {
      log(`machine: no other process used more than ${cfg.contaminatedAt}% of a core during any measurement`);
    }
    for (const p of problems) log(p);
    const exitCode = problems.length ? 1 : 0;
    const file = writeResults(cfg.resultsDir, 'state-changes-', startedAt, cfg.label, {
      startedAt: startedAt.toISOString(),
      label: cfg.label || null,
      machine,
      postgres: pgSettings,
      settings: { ...cfg, uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null, gatewayUrl, pool: { name: pool.name, vendor: pool.vendor, sessions: pool.sessions } },
      fixture: { vault: fixture.vault, kekObjectId: kek.objectId, releaseRecords: releaseRecords.length, releasesIssued },
      raw: raw ? { ...raw, cpu: rawWindows } : null,
      api: runs,
      scale: scale.map((s) => ({ op: s.op, concurrency: cfg.scaleConcurrency, oneGateway: s.one.load.opsPerSec, twoGateways: s.two.load.opsPerSec, ratio: s.ratio })),
      contaminated,
      problems,
      exitCode,
    });
    log(`results: ${file}`);
    if (exitCode) log('state-changes: FINISHED WITH ERRORS (see the !!!!! lines above)');
    process.exitCode = exitCode;
  } finally {
    await extra?.stop();
    await db.end();
  }
}

function report(o: {
  cfg: ReturnType<typeof settings>;
  startedAt: Date;
  pool: string;
  pgSettings: Record<string, string>;
  raw: RawBaselineResult | undefined;
  runs: Run[];
  scale: Array<{ op: Op; one: Run; two: Run; ratio: number }>;
  cores: number;
}): void {
  const { cfg, raw, runs, scale, cores } = o;
  const cs = cfg.concurrencies;
  const main = runs.filter((r) => r.gateways === 1 && !o.scale.some((s) => s.one === r));
  const at = (op: Op, c: number): Run | undefined => main.find((r) => r.op === op && r.concurrency === c);
  log('');
  log('='.repeat(120));
  log(`Keybridge state changes ${o.startedAt.toISOString()} — ${cores} cores, ${cfg.seconds} s per measurement, pool ${o.pool}, ledger on, Postgres fsync=${o.pgSettings.fsync} synchronous_commit=${o.pgSettings.synchronous_commit}`);
  log('='.repeat(120));
  log(
    pad('operation', 32, true) + pad('raw ops/s', 11) + cs.map((c) => pad(`API @${c}`, 10)).join('') + cs.map((c) => pad(`API/raw @${c}`, 14)).join('') +
      cs.map((c) => pad(`p50/p99 ms @${c}`, 18)).join('') + pad('errors', 8),
  );
  for (const op of cfg.ops) {
    const info = OPS[op];
    const reference: RawMeasurement | undefined = info.family ? raw?.reference[info.family] : undefined;
    log(
      pad(info.title, 32, true) +
        pad(reference?.opsPerSec ?? (info.family ? '-' : 'no HSM'), 11) +
        cs.map((c) => pad(at(op, c)?.load.opsPerSec ?? '-', 10)).join('') +
        cs.map((c) => pad(at(op, c)?.ratioToRaw != null ? pct(at(op, c)?.ratioToRaw as number) : '-', 14)).join('') +
        cs.map((c) => {
          const r = at(op, c);
          return pad(r ? `${r.load.latencyMs.p50}/${r.load.latencyMs.p99}` : '-', 18);
        }).join('') +
        pad(cs.reduce((n, c) => n + (at(op, c)?.load.errors ?? 0), 0), 8),
    );
  }
  log('');
  for (const op of cfg.ops) {
    const family = OPS[op].family;
    const reference = family ? raw?.reference[family] : undefined;
    if (reference) log(`raw baseline for ${OPS[op].mutation}: ${reference.id} = ${reference.opsPerSec}/s — ${reference.description}`);
  }
  if (raw) log('raw variants: ' + raw.measurements.map((m) => `${m.id} ${m.opsPerSec}/s (cpu ${m.cpuPercent}%)`).join('; '));
  log('');
  const goalC = cs.includes(GOAL_CONCURRENCY) ? GOAL_CONCURRENCY : Math.max(...cs);
  for (const op of cfg.ops) {
    const r = at(op, goalC);
    if (!r) continue;
    const { goal, mutation } = OPS[op];
    log(
      `goal: ${mutation} >= ${goal}/s at concurrency ${GOAL_CONCURRENCY}: ${r.load.opsPerSec >= goal ? 'MET' : 'NOT MET'} (${r.load.opsPerSec}/s at ${goalC} = ${pct(r.load.opsPerSec / goal)} of the goal` +
        `${r.ratioToRaw !== null ? `, ${pct(r.ratioToRaw)} of raw` : ''})${o.pgSettings.fsync !== 'on' ? ' [Postgres not durable]' : ''}`,
    );
  }
  log('');
  log('What bounds each API run (CPU as % of one core over the measurement window):');
  for (const r of runs) {
    log(`  ${OPS[r.op].mutation}@${r.concurrency}${r.gateways > 1 ? ` ×${r.gateways} gateways` : ''}: ${cpuLine(r.cpu, r.load.clientCpuPercent)}`);
    for (const b of r.bounds) log(`    bound: ${b}`);
    const pg = postgresLine(r);
    if (pg) log(`    ${pg}`);
    if (r.poolKeyVersions) log(`    token: ${r.poolKeyVersions.before} → ${r.poolKeyVersions.after} key versions on the pool (≈ objects SoftHSM's file store scans per token operation)`);
  }
  if (scale.length) {
    log('');
    log(`Scale-out at concurrency ${cfg.scaleConcurrency}: one gateway, then two on the same Postgres, Redis and HSM token (connections split evenly), back to back`);
    log(pad('operation', 32, true) + pad('1 gateway', 11) + pad('2 gateways', 12) + pad('ratio', 8) + pad(`goal ≥${SCALE_GOAL}×`, 11) + '  machine busy 1 → 2   stack CPU per call 1 → 2');
    for (const s of scale) {
      // the stack = everything but other processes: gateways, Postgres, worker, Redis, the bench client
      const perCall = (r: Run): string => (r.load.opsPerSec > 0 ? `${(((r.cpu.machineBusy - r.cpu.others) / 100 / r.load.opsPerSec) * 1000).toFixed(2)} ms` : '-');
      log(
        pad(OPS[s.op].title, 32, true) + pad(s.one.load.opsPerSec, 11) + pad(s.two.load.opsPerSec, 12) + pad(`${s.ratio.toFixed(2)}×`, 8) +
          pad(s.ratio >= SCALE_GOAL ? 'MET' : 'NOT MET', 11) +
          `  ${s.one.cpu.machineBusy}% → ${s.two.cpu.machineBusy}% of ${s.two.cpu.machineCapacity}%   ${perCall(s.one)} → ${perCall(s.two)}`,
      );
    }
    log(
      `  A second process adds event-loop capacity, not cores: on ${cores} cores the ratio can only exceed 1 by the share of the machine one gateway left idle ` +
        '(its event loop or hand-off latency bounding it); where the machine was already busy with one gateway, CPU per call bounds both.',
    );
  }
  log('');
}

main().catch((error: unknown) => {
  console.error('state-changes: FAILED:', error instanceof Error ? error.stack ?? error.message : error);
  process.exit(1);
});
