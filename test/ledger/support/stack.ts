import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { GatewayClient, requireEnv, freePort } from '@keybridge/testing';

/** Helpers for suites that need their own database, gateway or Postgres server (never the shared ones). */
export const REPO = join(__dirname, '..', '..', '..');
export const CLI = join(REPO, 'dist', 'apps', 'cli', 'src', 'main.js');
const GATEWAY = join(REPO, 'dist', 'apps', 'gateway', 'src', 'main.js');

export { freePort };

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function runOk(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const result = await run(command, args, env);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
  return result.stdout;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

/** Migrations and the bootstrap admin token through the CLI, as the runner does it. Returns the token. */
export async function prepareDatabase(env: NodeJS.ProcessEnv, dir: string): Promise<string> {
  await runOk('node', [CLI, 'migrate'], env);
  const tokenFile = join(dir, `admin-${randomBytes(3).toString('hex')}.token`);
  await runOk('node', [CLI, 'bootstrap-admin', '--token-file', tokenFile], env);
  return readFileSync(tokenFile, 'utf8').trim();
}

/** A database of its own on the shared test server (roles are cluster-wide and already exist). */
export class ThrowAwayDatabase {
  private constructor(
    readonly name: string,
    readonly appUrl: string,
    readonly adminUrl: string,
  ) {}

  static async create(prefix: string): Promise<ThrowAwayDatabase> {
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: requireEnv('DATABASE_MIGRATION_URL') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return new ThrowAwayDatabase(name, withDatabase(requireEnv('DATABASE_URL'), name), withDatabase(requireEnv('DATABASE_MIGRATION_URL'), name));
  }

  env(): NodeJS.ProcessEnv {
    return { ...process.env, DATABASE_URL: this.appUrl, DATABASE_MIGRATION_URL: this.adminUrl };
  }

  async drop(): Promise<void> {
    const admin = new Client({ connectionString: requireEnv('DATABASE_MIGRATION_URL') });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}

/** A gateway process of our own (dist build) with its own environment. */
export class GatewayProcess {
  private exited = false;
  readonly log: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.once('exit', () => (this.exited = true));
    const keep = (chunk: Buffer): void => {
      this.log.push(chunk.toString('utf8'));
      if (this.log.length > 400) this.log.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(env: NodeJS.ProcessEnv): Promise<GatewayProcess> {
    const port = await freePort();
    const child = spawn('node', [GATEWAY], { env: { ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const gateway = new GatewayProcess(child, `http://127.0.0.1:${port}`);
    await waitFor(
      'the gateway to be ready',
      async () => {
        if (gateway.exited) throw new Error(`gateway exited: ${gateway.log.join('').slice(-2000)}`);
        const response = await fetch(`${gateway.url}/health/live`);
        return response.ok ? true : undefined;
      },
      60_000,
    );
    return gateway;
  }

  client(token: string | null): GatewayClient {
    return new GatewayClient(token, `${this.url}/graphql`);
  }

  get alive(): boolean {
    return !this.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  }
}

function pgBin(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
    .sort((a, b) => Number(a) - Number(b));
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[versions.length - 1]}/bin`;
}

/**
 * A Postgres server of our own (the runner's pattern: initdb and pg_ctl as the postgres OS user when root), so a
 * test may stop and start it without touching the server the other suites share.
 */
export class PrivatePostgres {
  private readonly bin = pgBin();
  private readonly asRoot = userInfo().uid === 0;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly password: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'kb-pg-'));
    chmodSync(dir, 0o777);
    const pg = new PrivatePostgres(dir, await freePort(), randomBytes(12).toString('hex'));
    writeFileSync(join(dir, 'pw'), `${pg.password}\n`, { mode: 0o644 });
    await pg.as('initdb', ['-D', pg.dataDir, '-U', 'keybridge_admin', `--pwfile=${join(dir, 'pw')}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
    await pg.startServer();
    return pg;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private as(tool: string, args: string[]): Promise<string> {
    const command = join(this.bin, tool);
    return this.asRoot ? runOk('runuser', ['-u', 'postgres', '--', command, ...args]) : runOk(command, args);
  }

  adminUrl(database = 'postgres'): string {
    return `postgres://keybridge_admin:${this.password}@127.0.0.1:${this.port}/${database}`;
  }

  async startServer(): Promise<void> {
    await this.as('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      'start',
    ]);
  }

  /** Fast shutdown: open transactions are rolled back, connections cut. */
  async stopServer(): Promise<void> {
    await this.as('pg_ctl', ['-D', this.dataDir, '-w', '-t', '60', '-m', 'fast', 'stop']);
  }

  /** A database with the app login role, migrated, plus an admin token; returns the environment for a gateway. */
  async keybridgeDatabase(workDir: string): Promise<{ env: NodeJS.ProcessEnv; token: string }> {
    const admin = new Client({ connectionString: this.adminUrl() });
    await admin.connect();
    const appPassword = randomBytes(12).toString('hex');
    try {
      await admin.query('CREATE DATABASE keybridge');
    } finally {
      await admin.end();
    }
    const env = { ...process.env, DATABASE_MIGRATION_URL: this.adminUrl('keybridge'), DATABASE_URL: `postgres://kb_app:${appPassword}@127.0.0.1:${this.port}/keybridge` };
    await runOk('node', [CLI, 'migrate'], env);
    const db = new Client({ connectionString: this.adminUrl('keybridge') });
    await db.connect();
    try {
      await db.query(`CREATE ROLE kb_app LOGIN PASSWORD '${appPassword}'; GRANT keybridge_app TO kb_app`);
    } finally {
      await db.end();
    }
    const tokenFile = join(workDir, 'admin.token');
    await runOk('node', [CLI, 'bootstrap-admin', '--token-file', tokenFile], env);
    return { env, token: readFileSync(tokenFile, 'utf8').trim() };
  }

  async destroy(): Promise<void> {
    await this.stopServer().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
