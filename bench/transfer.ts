/**
 * npm run bench, transfer part (ops/local/bench.sh runs it as node dist/bench/transfer.js on the throw-away stack).
 *
 * 1. Raw baseline (child process, libs/hsm runRawTransferBaseline): one exportable AES-256 key moved pool-a → pool-b
 *    again and again with bare PKCS#11 calls (security-officer steps, OAEP + KWP wrap, OAEP + KWP unwrap, check
 *    values), the transport key made once — what the HSMs must do per key, and nothing else.
 * 2. transferKey through the API, pool-a → pool-b, BENCH_TRANSFER_KEYS (30) exportable AES-256 keys one after the
 *    other: each call also makes and destroys an RSA-3072 transport key in the target, writes the key's rows and
 *    three ledger entries.
 * 3. startVaultMigration of BENCH_MIGRATION_KEYS (120) exportable AES-256 keys pool-a → pool-b, run by the stack's
 *    worker (one transport key per run): keys/s from start to completion.
 * Prints a table with the ratios to the raw baseline and writes bench/results/transfer-<time>.json.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadPoolsFile, RawTransferResult, runRawTransferBaseline } from '@keybridge/hsm';
import { adminToken, Gql, requireEnv } from './lib/fixtures';

const RAW_CHILD = '--raw-child';
const ALL = ['get', 'list', 'create', 'import', 'transfer', 'manageJobs', 'wrapKey'];

function num(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

function pools(): { source: string; target: string } {
  return { source: process.env.BENCH_TRANSFER_SOURCE ?? 'pool-a', target: process.env.BENCH_TRANSFER_TARGET ?? 'pool-b' };
}

async function raw(seconds: number): Promise<RawTransferResult> {
  const child = spawn(process.execPath, [__filename, RAW_CHILD], { env: { ...process.env, BENCH_RAW_SECONDS: String(seconds) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((ok, ko) => child.on('exit', (code) => (code === 0 ? ok(JSON.parse(out) as RawTransferResult) : ko(new Error(`raw baseline child exited ${code}`)))));
}

function rawChild(): void {
  const all = loadPoolsFile(requireEnv('KEYBRIDGE_POOLS_FILE'));
  const { source, target } = pools();
  const find = (name: string) => {
    const pool = all.find((p) => p.name === name);
    if (!pool) throw new Error(`no pool ${name}`);
    return pool;
  };
  process.stdout.write(JSON.stringify(runRawTransferBaseline({ source: find(source), target: find(target), seconds: Number(process.env.BENCH_RAW_SECONDS) })));
}

async function vaults(admin: Gql, url: string): Promise<{ source: string; target: string; owner: Gql }> {
  const suffix = randomBytes(4).toString('hex');
  const { source: sourcePool, target: targetPool } = pools();
  const names = { source: `bench-src-${suffix}`, target: `bench-dst-${suffix}` };
  await admin.data('mutation($n: String!, $p: String!) { createVault(name: $n, pool: $p) { name } }', { n: names.source, p: sourcePool });
  await admin.data('mutation($n: String!, $p: String!) { createVault(name: $n, pool: $p) { name } }', { n: names.target, p: targetPool });
  const principal = `bench-${suffix}`;
  await admin.data('mutation($n: String!) { createPrincipal(name: $n) { id } }', { n: principal });
  const { createApiToken } = await admin.data<{ createApiToken: { token: string } }>('mutation($n: String!) { createApiToken(principal: $n) { token } }', { n: principal });
  for (const v of [names.source, names.target]) {
    await admin.data('mutation($p: String!, $v: String!, $perms: [Permission!]!) { setGrant(principal: $p, vault: $v, permissions: $perms) { vault } }', { p: principal, v, perms: ALL });
  }
  return { ...names, owner: new Gql(url, createApiToken.token) };
}

async function createKeys(owner: Gql, vault: string, count: number, prefix: string): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 8) {
    await Promise.all(
      names.slice(i, i + 8).map((name) => owner.data('mutation($i: CreateKeyInput!) { createKey(input: $i) { kid } }', { i: { vault, name, kty: 'oct', size: 256, exportable: true } })),
    );
  }
  return names;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const url = `${requireEnv('KEYBRIDGE_GATEWAY_URL')}/graphql`;
  const admin = new Gql(url, adminToken());
  const keys = num('BENCH_TRANSFER_KEYS', 30);
  const migrationKeys = num('BENCH_MIGRATION_KEYS', 120);

  const baseline = await raw(num('BENCH_TRANSFER_RAW_SECONDS', 5));
  // SoftHSM's file store reloads in the stack's processes after another process changed the tokens; let it settle.
  await new Promise((r) => setTimeout(r, 2000));
  console.log(`transfer bench: raw baseline ${baseline.transfersPerSec} transfers/s (${baseline.transfers} in ${baseline.seconds} s, ${baseline.cpuPercent} % CPU)`);

  const api = await vaults(admin, url);
  const names = await createKeys(api.owner, api.source, keys, 'k');
  const latencies: number[] = [];
  const t0 = performance.now();
  for (const name of names) {
    const start = performance.now();
    await api.owner.data('mutation($i: TransferKeyInput!) { transferKey(input: $i) { source } }', { i: { vault: api.source, name, targetVault: api.target } });
    latencies.push(performance.now() - start);
  }
  const apiSeconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);

  const mig = await vaults(admin, url);
  await createKeys(mig.owner, mig.source, migrationKeys, 'm');
  const m0 = performance.now();
  const { startVaultMigration } = await mig.owner.data<{ startVaultMigration: { id: string } }>(
    'mutation($i: StartVaultMigrationInput!) { startVaultMigration(input: $i) { id } }',
    { i: { sourceVault: mig.source, targetVault: mig.target } },
  );
  let state: { state: string; done: number; failed: number } = { state: 'running', done: 0, failed: 0 };
  while (state.state !== 'completed') {
    await new Promise((r) => setTimeout(r, 100));
    state = (await mig.owner.data<{ vaultMigration: typeof state }>('query($id: String!) { vaultMigration(id: $id) { state done failed } }', { id: startVaultMigration.id })).vaultMigration;
    if (performance.now() - m0 > 600_000) throw new Error('the migration did not finish within 10 minutes');
  }
  const migSeconds = (performance.now() - m0) / 1000;

  const result = {
    at: new Date().toISOString(),
    pools: pools(),
    raw: baseline,
    transferKey: {
      keys,
      seconds: Math.round(apiSeconds * 100) / 100,
      perSec: Math.round((keys / apiSeconds) * 10) / 10,
      p50Ms: Math.round(percentile(latencies, 50)),
      p95Ms: Math.round(percentile(latencies, 95)),
      ratioToRaw: Math.round((keys / apiSeconds / baseline.transfersPerSec) * 1000) / 1000,
    },
    migration: {
      keys: migrationKeys,
      done: state.done,
      failed: state.failed,
      seconds: Math.round(migSeconds * 100) / 100,
      perSec: Math.round((migrationKeys / migSeconds) * 10) / 10,
      ratioToRaw: Math.round((migrationKeys / migSeconds / baseline.transfersPerSec) * 1000) / 1000,
    },
  };
  console.log('\n| AES-256 key moved pool-a → pool-b | per second | ratio to raw |');
  console.log('|---|---|---|');
  console.log(`| raw PKCS#11 (SO steps, wrap, unwrap, check values; transport key reused) | ${baseline.transfersPerSec} | 1 |`);
  console.log(`| transferKey via API, sequential (p50 ${result.transferKey.p50Ms} ms, p95 ${result.transferKey.p95Ms} ms) | ${result.transferKey.perSec} | ${result.transferKey.ratioToRaw} |`);
  console.log(`| startVaultMigration, 1 worker (${state.done} done, ${state.failed} failed) | ${result.migration.perSec} | ${result.migration.ratioToRaw} |`);
  const dir = resolve(process.env.BENCH_RESULTS_DIR ?? join(__dirname, '..', '..', 'bench', 'results'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `transfer-${result.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
  if (state.done !== migrationKeys || state.failed !== 0) process.exitCode = 1;
}

if (process.argv[2] === RAW_CHILD) {
  rawChild();
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
