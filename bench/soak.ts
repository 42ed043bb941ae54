/**
 * npm run soak (ops/local/soak.sh starts a throw-away stack and runs this as node dist/bench/soak.js); docs/soak.md.
 *
 * SOAK_CLIENTS (64) concurrent clients for SOAK_SECONDS (300), each looping over a weighted mix of operations on keys
 * created at start: wrapKey/unwrapKey (AES-256, CKM_AES_KEY_WRAP_PAD), sign/verify (EC P-256, ES256),
 * generateDataKey/releaseDataKey, and audit queries (auditEntries, auditSummary). Every answer is checked (unwrap and
 * release give back what was wrapped or generated, verify says valid). Every 10 s a progress line; at the end a table of
 * ops/s, p50/p95/p99 and errors per operation, and VmRSS of the gateway and the worker (pid files in
 * $KEYBRIDGE_DATA_DIR/run) at start, after the first 10 s, at the end and at their highest. Their V8 heap cannot be read
 * from outside without changing them (no inspector, no metrics endpoint for it), so only RSS is reported for them.
 *
 * Knobs: SOAK_CLIENTS (64), SOAK_SECONDS (300), SOAK_POOL (pool-a), SOAK_MIX ("wrap=20,unwrap=20,sign=15,verify=15,
 * generateDataKey=10,releaseDataKey=10,auditEntries=5,auditSummary=5"), SOAK_TIMEOUT_MS (30000) per request,
 * SOAK_LABEL (added to the result file name), BENCH_RESULTS_DIR (<repo>/bench/results).
 * Exit status: 0 when every call succeeded, 1 otherwise (the results are written either way).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { adminToken, Gql, requireEnv } from './lib/fixtures';

const OPS = ['wrap', 'unwrap', 'sign', 'verify', 'generateDataKey', 'releaseDataKey', 'auditEntries', 'auditSummary'] as const;
type Op = (typeof OPS)[number];

const DEFAULT_MIX = 'wrap=20,unwrap=20,sign=15,verify=15,generateDataKey=10,releaseDataKey=10,auditEntries=5,auditSummary=5';

const Q = {
  wrap: 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }',
  unwrap: 'mutation($k: KeyRefInput!, $v: String!) { unwrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }',
  sign: 'mutation($k: KeyRefInput!, $d: String!) { sign(key: $k, algorithm: "ES256", digest: $d) { value } }',
  verify: 'mutation($k: KeyRefInput!, $d: String!, $s: String!) { verify(key: $k, algorithm: "ES256", digest: $d, signature: $s) { valid } }',
  generateDataKey: 'mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { plaintext record { id } } }',
  releaseDataKey: 'mutation($id: ID!) { releaseDataKey(id: $id) { plaintext } }',
  auditEntries:
    'query($v: [String!]) { auditEntries(filter: {vaults: $v}, first: 50) { edges { node { seq operation outcome } } pageInfo { hasNextPage endCursor } } }',
  auditSummary: 'query($v: [String!]) { auditSummary(groupBy: OPERATION, filter: {vaults: $v}) { key count } }',
};

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

function parseMix(raw: string): Array<[Op, number]> {
  const mix = raw.split(',').map((part) => {
    const [op, weight] = part.split('=').map((s) => s.trim());
    if (!(OPS as readonly string[]).includes(op)) throw new Error(`SOAK_MIX: unknown operation ${op} (known: ${OPS.join(', ')})`);
    const w = Number(weight);
    if (!Number.isFinite(w) || w < 0) throw new Error(`SOAK_MIX: bad weight for ${op}`);
    return [op as Op, w] as [Op, number];
  });
  if (!mix.some(([, w]) => w > 0)) throw new Error('SOAK_MIX: every weight is 0');
  return mix;
}

/** A failed call: a typed GraphQL code, an HTTP status, a transport error, or a wrong answer. */
class CallError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

interface Stats {
  latencies: number[];
  errors: number;
  codes: Map<string, number>;
}

const stats = new Map<Op, Stats>(OPS.map((op) => [op, { latencies: [], errors: 0, codes: new Map() }]));

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Memory {
  at: string;
  gatewayRssKiB?: number;
  workerRssKiB?: number;
  clientRssKiB: number;
  clientHeapUsedKiB: number;
}

function pidOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function rssKiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const clients = Math.floor(num('SOAK_CLIENTS', 64));
  const seconds = num('SOAK_SECONDS', 300);
  const timeoutMs = num('SOAK_TIMEOUT_MS', 30_000);
  const pool = process.env.SOAK_POOL || 'pool-a';
  const mix = parseMix(process.env.SOAK_MIX || DEFAULT_MIX);
  const url = `${requireEnv('KEYBRIDGE_GATEWAY_URL')}/graphql`;
  const dataDir = process.env.KEYBRIDGE_DATA_DIR;
  const gatewayPid = pidOf(`${dataDir}/run/gateway.pid`);
  const workerPid = pidOf(`${dataDir}/run/worker.pid`);
  const memory = (at: string): Memory => ({
    at,
    gatewayRssKiB: rssKiB(gatewayPid),
    workerRssKiB: rssKiB(workerPid),
    clientRssKiB: Math.round(process.memoryUsage().rss / 1024),
    clientHeapUsedKiB: Math.round(process.memoryUsage().heapUsed / 1024),
  });

  // Set-up (not measured): a vault, a principal with what the mix needs, an AES-256 and an EC P-256 key.
  const adminTok = adminToken();
  const admin = new Gql(url, adminTok);
  const suffix = randomBytes(4).toString('hex');
  const vault = `soak-${suffix}`;
  await admin.data('mutation($n: String!, $p: String!) { createVault(name: $n, pool: $p) { name } }', { n: vault, p: pool });
  await admin.data('mutation($n: String!) { createPrincipal(name: $n) { id } }', { n: vault });
  const { createApiToken } = await admin.data<{ createApiToken: { token: string } }>('mutation($n: String!) { createApiToken(principal: $n, label: "npm run soak") { token } }', {
    n: vault,
  });
  await admin.data('mutation($p: String!, $v: String!, $perms: [Permission!]!) { setGrant(principal: $p, vault: $v, permissions: $perms) { vault } }', {
    p: vault,
    v: vault,
    perms: ['get', 'list', 'create', 'wrapKey', 'unwrapKey', 'sign', 'verify', 'escrowDeposit', 'escrowRelease'],
  });
  const token = createApiToken.token;
  const owner = new Gql(url, token);
  await owner.data('mutation($i: CreateKeyInput!) { createKey(input: $i) { kid } }', { i: { vault, name: 'kek', kty: 'oct', size: 256 } });
  await owner.data('mutation($i: CreateKeyInput!) { createKey(input: $i) { kid } }', { i: { vault, name: 'signer', kty: 'EC', curve: 'P-256' } });
  const kek = { vault, name: 'kek' };
  const signer = { vault, name: 'signer' };

  // Material the unwrap/verify/release operations work on; the load adds to it (bounded), so later calls use fresh items.
  const wrapped: Array<{ plain: string; wrapped: string }> = [];
  const signatures: Array<{ digest: string; signature: string }> = [];
  const records: Array<{ id: string; plaintext: string }> = [];
  const remember = <T>(list: T[], item: T): void => {
    if (list.length < 1000) list.push(item);
    else list[Math.floor(Math.random() * list.length)] = item;
  };
  for (let i = 0; i < 16; i++) {
    const plain = randomBytes(32).toString('base64url');
    remember(wrapped, { plain, wrapped: (await owner.data<{ wrapKey: { value: string } }>(Q.wrap, { k: kek, v: plain })).wrapKey.value });
    const digest = createHash('sha256').update(randomBytes(32)).digest('base64url');
    remember(signatures, { digest, signature: (await owner.data<{ sign: { value: string } }>(Q.sign, { k: signer, d: digest })).sign.value });
    const g = await owner.data<{ generateDataKey: { plaintext: string; record: { id: string } } }>(Q.generateDataKey, {
      i: { vault, key: 'kek', bits: 256, owner: 'soak' },
    });
    remember(records, { id: g.generateDataKey.record.id, plaintext: g.generateDataKey.plaintext });
  }
  const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)];

  async function call<T>(query: string, variables: Record<string, unknown>, bearer = token): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = error instanceof Error ? (error.name === 'TimeoutError' ? 'TIMEOUT' : `FETCH_${(error.cause as { code?: string } | undefined)?.code ?? error.name}`) : 'FETCH';
      throw new CallError(name);
    }
    let body: { data?: T; errors?: Array<{ extensions?: { code?: string } }> };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new CallError(`HTTP_${response.status}`);
    }
    if (body.errors?.length || !body.data) throw new CallError(body.errors?.[0]?.extensions?.code ?? `HTTP_${response.status}`);
    return body.data;
  }

  const run: Record<Op, () => Promise<void>> = {
    wrap: async () => {
      const plain = randomBytes(32).toString('base64url');
      const r = await call<{ wrapKey: { value: string } }>(Q.wrap, { k: kek, v: plain });
      remember(wrapped, { plain, wrapped: r.wrapKey.value });
    },
    unwrap: async () => {
      const item = pick(wrapped);
      const r = await call<{ unwrapKey: { value: string } }>(Q.unwrap, { k: kek, v: item.wrapped });
      if (r.unwrapKey.value !== item.plain) throw new CallError('MISMATCH');
    },
    sign: async () => {
      const digest = createHash('sha256').update(randomBytes(32)).digest('base64url');
      const r = await call<{ sign: { value: string } }>(Q.sign, { k: signer, d: digest });
      remember(signatures, { digest, signature: r.sign.value });
    },
    verify: async () => {
      const item = pick(signatures);
      const r = await call<{ verify: { valid: boolean } }>(Q.verify, { k: signer, d: item.digest, s: item.signature });
      if (!r.verify.valid) throw new CallError('NOT_VALID');
    },
    generateDataKey: async () => {
      const r = await call<{ generateDataKey: { plaintext: string; record: { id: string } } }>(Q.generateDataKey, { i: { vault, key: 'kek', bits: 256, owner: 'soak' } });
      remember(records, { id: r.generateDataKey.record.id, plaintext: r.generateDataKey.plaintext });
    },
    releaseDataKey: async () => {
      const item = pick(records);
      const r = await call<{ releaseDataKey: { plaintext: string } }>(Q.releaseDataKey, { id: item.id });
      if (r.releaseDataKey.plaintext !== item.plaintext) throw new CallError('MISMATCH');
    },
    // The admin holds the global auditRead; the queries are scoped to the soak's vault, whose ledger grows all along.
    auditEntries: async () => void (await call(Q.auditEntries, { v: [vault] }, adminTok)),
    auditSummary: async () => void (await call(Q.auditSummary, { v: [vault] }, adminTok)),
  };

  const totalWeight = mix.reduce((s, [, w]) => s + w, 0);
  const choose = (): Op => {
    let r = Math.random() * totalWeight;
    for (const [op, w] of mix) {
      if ((r -= w) < 0) return op;
    }
    return mix[mix.length - 1][0];
  };

  const start = memory('start');
  console.log(
    `soak: ${clients} clients, ${seconds} s, pool ${pool}, vault ${vault}, gateway pid ${gatewayPid ?? '?'}, worker pid ${workerPid ?? '?'}\n` +
      `soak: mix ${mix.map(([op, w]) => `${op}=${w}`).join(' ')}`,
  );
  const t0 = Date.now();
  const deadline = t0 + seconds * 1000;
  let done = 0;
  let failed = 0;
  let warm: Memory | undefined;
  const peak = { gatewayRssKiB: start.gatewayRssKiB ?? 0, workerRssKiB: start.workerRssKiB ?? 0 };
  const samples: Memory[] = [start];
  let lastDone = 0;
  let lastAt = t0;
  const progress = setInterval(() => {
    const now = Date.now();
    const m = memory(`${Math.round((now - t0) / 1000)}s`);
    samples.push(m);
    warm ??= { ...m, at: 'after 10 s' };
    peak.gatewayRssKiB = Math.max(peak.gatewayRssKiB, m.gatewayRssKiB ?? 0);
    peak.workerRssKiB = Math.max(peak.workerRssKiB, m.workerRssKiB ?? 0);
    const rate = ((done - lastDone) * 1000) / (now - lastAt);
    lastDone = done;
    lastAt = now;
    console.log(
      `soak: ${m.at.padStart(5)}  ${rate.toFixed(0).padStart(6)} ops/s  total ${done}  errors ${failed}  ` +
        `RSS gateway ${mib(m.gatewayRssKiB)} worker ${mib(m.workerRssKiB)} soak client ${mib(m.clientRssKiB)}`,
    );
  }, 10_000);

  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const op = choose();
        const s = stats.get(op) as Stats;
        const began = performance.now();
        try {
          await run[op]();
          s.latencies.push(performance.now() - began);
          done++;
        } catch (error) {
          const code = error instanceof CallError ? error.code : error instanceof Error ? error.name : 'ERROR';
          s.errors++;
          s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
          failed++;
          done++;
        }
      }
    }),
  );
  clearInterval(progress);
  const elapsed = (Date.now() - t0) / 1000;
  const end = memory('end');
  samples.push(end);
  peak.gatewayRssKiB = Math.max(peak.gatewayRssKiB, end.gatewayRssKiB ?? 0);
  peak.workerRssKiB = Math.max(peak.workerRssKiB, end.workerRssKiB ?? 0);

  // The table.
  const rows = OPS.filter((op) => mix.some(([o, w]) => o === op && w > 0)).map((op) => {
    const s = stats.get(op) as Stats;
    const sorted = Float64Array.from(s.latencies).sort();
    const list = Array.from(sorted);
    return {
      op,
      calls: s.latencies.length + s.errors,
      opsPerSecond: (s.latencies.length + s.errors) / elapsed,
      p50: percentile(list, 50),
      p95: percentile(list, 95),
      p99: percentile(list, 99),
      max: list.length ? list[list.length - 1] : NaN,
      errors: s.errors,
      errorCodes: Object.fromEntries([...s.codes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    };
  });
  const all = Array.from(Float64Array.from(OPS.flatMap((op) => (stats.get(op) as Stats).latencies)).sort());
  const ms = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(1));
  console.log(`\nsoak: ${done} calls in ${elapsed.toFixed(1)} s with ${clients} clients: ${(done / elapsed).toFixed(1)} ops/s, ${failed} errors\n`);
  console.log(`${'operation'.padEnd(16)} ${'calls'.padStart(8)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'errors'.padStart(7)}  first error codes`);
  for (const r of rows) {
    console.log(
      `${r.op.padEnd(16)} ${String(r.calls).padStart(8)} ${r.opsPerSecond.toFixed(1).padStart(8)} ${ms(r.p50).padStart(8)} ${ms(r.p95).padStart(8)} ${ms(r.p99).padStart(8)} ${ms(r.max).padStart(8)} ${String(r.errors).padStart(7)}  ${Object.entries(r.errorCodes).map(([c, n]) => `${c}×${n}`).join(' ')}`,
    );
  }
  console.log(
    `${'all'.padEnd(16)} ${String(done).padStart(8)} ${(done / elapsed).toFixed(1).padStart(8)} ${ms(percentile(all, 50)).padStart(8)} ${ms(percentile(all, 95)).padStart(8)} ${ms(percentile(all, 99)).padStart(8)} ${ms(all.length ? all[all.length - 1] : NaN).padStart(8)} ${String(failed).padStart(7)}`,
  );
  console.log('\nmemory (VmRSS; the servers\' V8 heap is not readable from outside them, so RSS only)');
  console.log(`${''.padEnd(16)} ${'start'.padStart(10)} ${'after 10 s'.padStart(10)} ${'end'.padStart(10)} ${'peak'.padStart(10)} ${'end-10 s'.padStart(10)}`);
  const line = (name: string, s?: number, w?: number, e?: number, p?: number): void =>
    console.log(`${name.padEnd(16)} ${mib(s).padStart(10)} ${mib(w).padStart(10)} ${mib(e).padStart(10)} ${mib(p).padStart(10)} ${(w !== undefined && e !== undefined ? `${e - w >= 0 ? '+' : ''}${((e - w) / 1024).toFixed(1)} MiB` : '-').padStart(10)}`);
  line('gateway RSS', start.gatewayRssKiB, warm?.gatewayRssKiB, end.gatewayRssKiB, peak.gatewayRssKiB);
  line('worker RSS', start.workerRssKiB, warm?.workerRssKiB, end.workerRssKiB, peak.workerRssKiB);
  line('soak client RSS', start.clientRssKiB, warm?.clientRssKiB, end.clientRssKiB, undefined);
  line('soak client heap', start.clientHeapUsedKiB, warm?.clientHeapUsedKiB, end.clientHeapUsedKiB, undefined);

  const dir = resolve(process.env.BENCH_RESULTS_DIR || join(__dirname, '..', '..', 'bench', 'results'));
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const label = process.env.SOAK_LABEL ? `-${process.env.SOAK_LABEL.replace(/[^A-Za-z0-9_-]/g, '_')}` : '';
  const file = join(dir, `soak-${stamp}${label}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        kind: 'keybridge.soak.v1',
        at: new Date().toISOString(),
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), kernel: release(), node: process.version },
        settings: { clients, seconds, pool, mix: Object.fromEntries(mix), timeoutMs },
        elapsedSeconds: elapsed,
        total: { calls: done, errors: failed, opsPerSecond: done / elapsed, p50: percentile(all, 50), p95: percentile(all, 95), p99: percentile(all, 99) },
        operations: rows,
        memory: { start, afterWarmup: warm, end, peak, samples, heapOfServers: 'not readable without code changes; RSS only' },
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nsoak: results in ${file}`);
  if (failed > 0) {
    console.error(`soak: FAILED, ${failed} calls failed (goal 0)`);
    process.exitCode = 1;
  }
}

function mib(kib: number | undefined): string {
  return kib === undefined ? '-' : `${(kib / 1024).toFixed(1)} MiB`;
}

main().catch((error: unknown) => {
  console.error(`soak: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
