import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test, TestingModule } from '@nestjs/testing';
import { AuthModule, Caller, callerContext, PrincipalRepository } from '@keybridge/auth';
import { EscrowConfig, EscrowModule } from '@keybridge/escrow';
import { HSM_PORT } from '@keybridge/hsm';
import { FakeHsm } from '@keybridge/hsm/testing';
import { LedgerModule } from '@keybridge/ledger';
import { AppConfig, DatabaseModule, PlatformConfigModule } from '@keybridge/platform';
import { adminDatabase, createKey, GatewayClient, vaultWithOwner, freePort } from '@keybridge/testing';
import { Client } from 'pg';

const ROOT = join(__dirname, '..', '..');

export { freePort };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A redis-server of this test only (no persistence), so restarting it disturbs nothing shared. */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    this.child = child;
    for (let i = 0; i < 100; i++) {
      if (await portOpen(this.port)) return;
      if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}`);
      await sleep(100);
    }
    throw new Error('redis-server did not start');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Worker processes of this test (dist/apps/worker/src/main.js) on a private queue and Redis. */
export class Workers {
  readonly alive = new Set<ChildProcess>();
  private readonly all: ChildProcess[] = [];
  output = '';

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /**
   * Starts one; resolves when it consumes (or, with `wait` false, at once). One retry when it dies during start-up:
   * dist/ is shared with whoever builds meanwhile (tsc rewrites it before tsc-alias fixes the imports).
   */
  async spawn(wait = true): Promise<ChildProcess> {
    if (!wait) return this.start(false);
    try {
      return await this.start(true);
    } catch (error) {
      await sleep(3000);
      return this.start(true).catch((again: unknown) => Promise.reject(again instanceof Error ? again : error));
    }
  }

  private async start(wait: boolean): Promise<ChildProcess> {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js')], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.alive.add(child);
    this.all.push(child);
    child.on('exit', () => this.alive.delete(child));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s:\n${this.output.slice(-2000)}`)), 60_000);
      child.stdout?.on('data', (d: Buffer) => {
        this.output += d.toString();
        if (d.toString().includes('consuming queues')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code !== null && code !== 0) reject(new Error(`worker exited ${code}:\n${this.output.slice(-2000)}`));
        else resolve();
      });
    });
    if (wait) await ready;
    else ready.catch(() => undefined);
    return child;
  }

  kill(child: ChildProcess): void {
    child.kill('SIGKILL');
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.all.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
  }
}

export function workerEnv(redisUrl: string, queue: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL: redisUrl,
    KEYBRIDGE_REWRAP_QUEUE: queue,
    KEYBRIDGE_REWRAP_LEASE_SECONDS: '2',
    KEYBRIDGE_REWRAP_RECONCILE_SECONDS: '1',
    KEYBRIDGE_REWRAP_CONCURRENCY: '2',
    KEYBRIDGE_REWRAP_CHUNK: '16',
    LOG_LEVEL: 'warn',
    UV_THREADPOOL_SIZE: '4',
    ...extra,
  };
}

@Global()
@Module({ providers: [{ provide: HSM_PORT, useValue: new FakeHsm([{ name: 'pool-a' }, { name: 'pool-b' }, { name: 'pool-n' }]) }], exports: [HSM_PORT] })
class NoHsmModule {}

/**
 * The escrow library in this test process, on the shared Postgres but the test's own Redis and queue: jobs created
 * here are enqueued only where the test's own workers listen. Starting a job touches no HSM (a fake stands in).
 */
export async function escrowLibrary(redisUrl: string, queue: string, extra: Record<string, string> = {}): Promise<TestingModule> {
  const env = { ...process.env, REDIS_URL: redisUrl, KEYBRIDGE_REWRAP_QUEUE: queue, ...extra };
  const moduleRef = await Test.createTestingModule({
    imports: [PlatformConfigModule, DatabaseModule, CqrsModule.forRoot(), NoHsmModule, LedgerModule, AuthModule, EscrowModule],
  })
    .overrideProvider(AppConfig)
    .useValue(AppConfig.fromEnv(env))
    .overrideProvider(EscrowConfig)
    .useValue(EscrowConfig.fromEnv(env))
    .compile();
  await moduleRef.init();
  return moduleRef;
}

export async function callerOf(moduleRef: TestingModule, principalName: string): Promise<Caller> {
  const principal = await moduleRef.get(PrincipalRepository).findByName(principalName);
  if (!principal) throw new Error(`no principal ${principalName}`);
  return callerContext(principal, `test-${randomBytes(4).toString('hex')}`);
}

/**
 * A vault with an AES-256 `kek`, its owner, and a private Redis with the test's own workers and an in-process
 * escrow library on a private queue: jobs run here never touch the shared stack's worker or Redis.
 */
export interface PrivateJobStack {
  db: Client;
  vault: string;
  owner: GatewayClient;
  principal: string;
  redis: PrivateRedis;
  workers: Workers;
  library: TestingModule;
  close(): Promise<void>;
}

export async function privateJobStack(
  pool: string,
  prefix: string,
  queue: string,
  env: { workers?: Record<string, string>; library?: Record<string, string> },
): Promise<PrivateJobStack> {
  const db = await adminDatabase();
  const { vault, owner } = await vaultWithOwner(pool, prefix);
  const { rows } = await db.query<{ name: string }>(
    'SELECT p.name FROM grants g JOIN principals p ON p.id = g.principal_id JOIN vaults v ON v.id = g.vault_id WHERE v.name = $1',
    [vault],
  );
  await createKey(owner, { vault, name: 'kek', kty: 'oct', size: 256 });
  const redis = new PrivateRedis(await freePort());
  await redis.start();
  const workers = new Workers(workerEnv(redis.url, queue, env.workers));
  const library = await escrowLibrary(redis.url, queue, env.library);
  return {
    db,
    vault,
    owner,
    principal: rows[0].name,
    redis,
    workers,
    library,
    close: async () => {
      await workers.stopAll();
      await library.close();
      await redis.stop();
      await db.end();
    },
  };
}

export const GENERATE = 'mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { plaintext record { id kid keyVersion algorithm owner } } }';
export const RELEASE = 'mutation($id: ID!) { releaseDataKey(id: $id) { plaintext record { kid keyVersion rewrapCount } } }';

/** `n` data keys generated through the API (16 at a time); returns id → plaintext. */
export async function generateKeys(client: GatewayClient, input: Record<string, unknown>, n: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let started = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, n) }, async () => {
      while (started < n) {
        started++;
        const { generateDataKey } = await client.data<{ generateDataKey: { plaintext: string; record: { id: string } } }>(GENERATE, { i: input });
        out.set(generateDataKey.record.id, generateDataKey.plaintext);
      }
    }),
  );
  return out;
}

/**
 * Copies the vault's records with SQL until it holds `total` (label src = the record copied), as the bench does:
 * the copies carry the same wrapped bytes, so each releases to its source's data key.
 */
export async function replicate(db: Client, vault: string, total: number): Promise<void> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1', [vault]);
  const have = Number(rows[0].n);
  if (total <= have) return;
  await db.query(
    `INSERT INTO escrow_records (id, vault_id, key_id, key_version, algorithm, wrapped, dek_bits, owner, labels, origin, created_by, created_at, updated_at)
     SELECT gen_random_uuid(), s.vault_id, s.key_id, s.key_version, s.algorithm, s.wrapped, s.dek_bits, s.owner,
            jsonb_build_object('src', s.id::text), 'deposited', s.created_by, now(), now()
       FROM (SELECT r.* FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = $1) s
      CROSS JOIN generate_series(1, $2) g LIMIT $3`,
    [vault, Math.ceil((total - have) / have), total - have],
  );
}

/** Releases each record through the API (8 at a time) and checks it against the expected data key. */
export async function releaseAll(client: GatewayClient, records: Array<{ id: string; expected: string }>): Promise<{ mismatches: number; versions: Set<string> }> {
  let mismatches = 0;
  const versions = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < records.length) {
        const r = records[next++];
        const { releaseDataKey } = await client.data<{ releaseDataKey: { plaintext: string; record: { kid: string } } }>(RELEASE, { id: r.id });
        if (releaseDataKey.plaintext !== r.expected) mismatches++;
        versions.add(releaseDataKey.record.kid);
      }
    }),
  );
  return { mismatches, versions };
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

export { sleep };
