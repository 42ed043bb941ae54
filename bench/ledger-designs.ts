/**
 * Which ledger design lets state changes commit fastest (issue 18), measured on the stack's own Postgres
 * (`npm run bench` with BENCH_DURABLE=1 for figures that count: fsync and synchronous_commit on).
 *
 * Each design commits the same unit of work — one state row and its ledger entry, atomically — from
 * DESIGN_BENCH_WRITERS (64) concurrent connections for DESIGN_BENCH_SECONDS (8):
 * - `lock`:  the wave-1 design: each writer's transaction appends through `ledger_append`, which takes the ledger's
 *            advisory lock and holds it until that writer commits.
 * - `group`: a unit-of-work group commit under the same lock: one committer takes every writer waiting and commits
 *            their rows and entries in one transaction.
 * - `queue`: the design in use: each writer's transaction inserts its entry into `ledger_queue` without any lock;
 *            one integrator (`ledger_integrate`, looping here as the deployment's would) hashes them into the chain.
 *            Reported with how far the integrator was behind when the window ended and how long it took to catch up.
 * - `unit`:  the queue, plus a unit-of-work group commit as a generic committer can do it: one transaction per batch
 *            of waiting writers, each writer's statements run one after another inside it (no multi-row tricks).
 * Every entry is a valid chain entry (the stack's ledger verifies afterwards). Results: a table and
 * bench/results/ledger-designs-<time>.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { LedgerEntryInput, queueInsert, waitForIntegration } from '@keybridge/ledger';
import { requireEnv, rowsOf } from './lib/fixtures';
import { processesOf, snapshot, usageBetween } from './lib/proc-cpu';

type Design = 'lock' | 'group' | 'queue' | 'unit';

const num = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const WRITERS = num('DESIGN_BENCH_WRITERS', 64);
const SECONDS = num('DESIGN_BENCH_SECONDS', 8);
const GROUP_MAX = 1000;

const APPEND = `SELECT seq FROM ledger_append($1::timestamptz, $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
  $7::text[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::jsonb[])`;
const STATE = 'INSERT INTO bench_design_state (payload) SELECT unnest($1::bytea[])';

function entry(design: Design, marker: string, i: number): LedgerEntryInput {
  return {
    principalId: 'bench',
    vault: 'bench-designs',
    keyName: 'k',
    keyVersion: 1,
    operation: 'benchStateChange',
    outcome: 'success',
    errorCode: null,
    requestId: `${marker}-${design}-${i}`,
    traceId: null,
    paramsDigest: null,
    details: { design, marker },
  };
}

/** The 15 parameters of ledger_append, which are those of the queue insert. */
const params = (entries: LedgerEntryInput[]): unknown[] => queueInsert(entries, new Date(), 1).params;
const QUEUE = (entries: LedgerEntryInput[]): [string, unknown[]] => {
  const insert = queueInsert(entries, new Date(), 1);
  return [insert.sql, insert.params];
};

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: 'keybridge-bench-designs' });
  await client.connect();
  return client;
}

interface DesignResult {
  design: Design;
  committed: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number };
  postgresCpuMsPerChange: number;
  integratorBehindAtEnd?: number;
  catchUpMs?: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10 : 0;
}

async function run(design: Design, clients: Client[], admin: Client): Promise<DesignResult> {
  const marker = randomBytes(4).toString('hex');
  const latencies: number[] = [];
  let next = 0;
  let integrating = design === 'queue' || design === 'unit';
  const integrator = (async () => {
    while (integrating) await admin.query('SELECT ledger_integrate(5000, false)');
  })();
  // group: writers hand their change to one committer and wait for its transaction
  const waiting: Array<{ i: number; done: () => void }> = [];
  let committerWake: (() => void) | undefined;
  const deadline = performance.now() + SECONDS * 1000;
  const committer = (async () => {
    if (design !== 'group' && design !== 'unit') return;
    const c = clients[0];
    while (performance.now() < deadline || waiting.length > 0) {
      if (waiting.length === 0) {
        await new Promise<void>((r) => (committerWake = r));
        continue;
      }
      const batch = waiting.splice(0, GROUP_MAX);
      await c.query('BEGIN');
      if (design === 'group') {
        await c.query(STATE, [batch.map(() => randomBytes(40))]);
        await c.query(APPEND, params(batch.map((w) => entry(design, marker, w.i))));
      } else {
        for (const w of batch) {
          await c.query(STATE, [[randomBytes(40)]]);
          await c.query(...QUEUE([entry(design, marker, w.i)]));
        }
      }
      await c.query('COMMIT');
      for (const w of batch) w.done();
    }
  })();
  const set = processesOf(process.env.KEYBRIDGE_DATA_DIR);
  const before = snapshot(set);
  await Promise.all(
    clients.map(async (c, w) => {
      const grouped = design === 'group' || design === 'unit';
      if (grouped && w === 0) return;
      while (performance.now() < deadline) {
        const i = next++;
        const t = performance.now();
        if (grouped) {
          await new Promise<void>((done) => {
            waiting.push({ i, done });
            committerWake?.();
          });
        } else {
          await c.query('BEGIN');
          await c.query(STATE, [[randomBytes(40)]]);
          if (design === 'lock') await c.query(APPEND, params([entry(design, marker, i)]));
          else await c.query(...QUEUE([entry(design, marker, i)]));
          await c.query('COMMIT');
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  committerWake?.();
  await committer;
  const cpu = usageBetween(before, snapshot(set), cpus().length);
  const result: DesignResult = {
    design,
    committed: latencies.length,
    perSecond: Math.round(latencies.length / SECONDS),
    latencyMs: { p50: 0, p99: 0 },
    postgresCpuMsPerChange: Math.round((((cpu.postgres ?? 0) / 100) * cpu.seconds * 1000 * 1000) / Math.max(1, latencies.length)) / 1000,
  };
  const sorted = latencies.sort((a, b) => a - b);
  result.latencyMs = { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
  integrating = false;
  await integrator;
  if (integrating || design === 'queue' || design === 'unit') {
    const { rows } = await admin.query<{ n: string }>('SELECT count(*) AS n FROM ledger_queue');
    result.integratorBehindAtEnd = Number(rows[0].n);
    const t = performance.now();
    while (Number((await admin.query<{ n: number }>('SELECT ledger_integrate(5000, true) AS n')).rows[0].n) > 0) {
      // catching up
    }
    result.catchUpMs = Math.round(performance.now() - t);
  }
  return result;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_MIGRATION_URL ?? requireEnv('DATABASE_URL');
  const admin = await connect(url);
  await admin.query('CREATE TABLE IF NOT EXISTS bench_design_state (id bigserial PRIMARY KEY, payload bytea NOT NULL)');
  const clients = await Promise.all(Array.from({ length: WRITERS }, () => connect(url)));
  const results: DesignResult[] = [];
  try {
    for (const design of (process.env.DESIGN_BENCH_DESIGNS ?? 'lock,group,queue,unit').split(',') as Design[]) {
      results.push(await run(design, clients, admin));
      console.log(JSON.stringify(results[results.length - 1]));
    }
    await waitForIntegration(rowsOf(admin));
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await admin.query('DROP TABLE IF EXISTS bench_design_state');
    await admin.end();
  }
  console.log(`\nledger designs: ${WRITERS} writers, ${SECONDS} s each, one state row + one entry per change`);
  console.log('design  changes/s   p50 ms   p99 ms   pg CPU ms/change   integrator behind at end / catch-up');
  for (const r of results) {
    const behind = r.integratorBehindAtEnd !== undefined ? `${r.integratorBehindAtEnd} entries / ${r.catchUpMs} ms` : '-';
    console.log(
      `${r.design.padEnd(7)} ${String(r.perSecond).padStart(9)} ${String(r.latencyMs.p50).padStart(8)} ${String(r.latencyMs.p99).padStart(8)} ${String(r.postgresCpuMsPerChange).padStart(18)}   ${behind}`,
    );
  }
  const dir = resolve(process.env.BENCH_RESULTS_DIR ?? join(__dirname, '..', '..', 'bench', 'results'));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `ledger-designs-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ writers: WRITERS, seconds: SECONDS, durable: process.env.BENCH_DURABLE === '1', results }, null, 2));
  console.log(`results: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
