import { ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GatewayClient, GraphQLResponse } from '@keybridge/testing';

const ROOT = join(__dirname, '..', '..');
const GATEWAY = join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How the re-wrap runner names a worker in rewrap_job_ranges.claimed_by (libs/escrow/src/rewrap-runner). */
export function workerIdentity(pid: number | undefined): string {
  return `${hostname()}:${pid}`;
}

/**
 * A plain-HTTP gateway process of this test (dist/apps/gateway/src/main.js) on its own port, with the environment
 * it is given (the test's private Redis and queue names). Ready when /health/ready answers 200.
 */
export class ScaleGateway {
  private child: ChildProcess | undefined;
  output = '';
  /** When the test asked it to stop (ms since epoch), for reports. */
  stoppedAt: number | undefined;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get graphqlUrl(): string {
    return `${this.url}/graphql`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  client(token: string): GatewayClient {
    return new GatewayClient(token, this.graphqlUrl);
  }

  /** One retry when it dies during start-up: dist/ is shared with whoever rebuilds it meanwhile. */
  async start(): Promise<void> {
    try {
      await this.startOnce();
    } catch (error) {
      this.kill();
      await sleep(3000);
      await this.startOnce().catch((again: unknown) => Promise.reject(again instanceof Error ? again : error));
    }
  }

  private async startOnce(): Promise<void> {
    const child = spawn(process.execPath, [GATEWAY], {
      env: { ...this.env, HOST: '127.0.0.1', PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (d: Buffer): void => {
      this.output += d.toString();
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`gateway ${this.name} exited ${child.exitCode ?? child.signalCode}:\n${this.output.slice(-2000)}`);
      }
      try {
        const response = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(5000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`gateway ${this.name} not ready within 90 s:\n${this.output.slice(-2000)}`);
  }

  /** Sends the signal and resolves when the process has exited (SIGKILL after `killAfterMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.stoppedAt ??= Date.now();
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
      setTimeout(() => child.kill('SIGKILL'), killAfterMs).unref();
    });
  }

  kill(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export type Outcome =
  | { kind: 'success'; data: Record<string, unknown> }
  | { kind: 'graphql-error'; codes: string[]; status: number }
  | { kind: 'connection-error'; message: string };

/** One GraphQL request with our own x-request-id; never throws: connection failures are an outcome. */
export async function gql(url: string, token: string, requestId: string, query: string, variables: Record<string, unknown>, timeoutMs = 30_000): Promise<Outcome> {
  let response: Response;
  let body: GraphQLResponse<Record<string, unknown>>;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': requestId },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    try {
      body = JSON.parse(text) as GraphQLResponse<Record<string, unknown>>;
    } catch {
      return { kind: 'graphql-error', codes: [`HTTP_${response.status}`], status: response.status };
    }
  } catch (error) {
    // Duck-typed: fetch's errors come from another realm than Jest's globals (instanceof Error fails).
    const e = error as { message?: string; cause?: { code?: string; message?: string } };
    const cause = e.cause ? `: ${e.cause.code ?? e.cause.message ?? ''}` : '';
    return { kind: 'connection-error', message: `${e.message ?? String(error)}${cause}` };
  }
  if (body.errors?.length || !body.data) {
    return { kind: 'graphql-error', codes: (body.errors ?? []).map((e) => e.extensions?.code ?? e.message.slice(0, 60)), status: response.status };
  }
  return { kind: 'success', data: body.data };
}

export { sleep };

/**
 * The worker log lines about one re-wrap job (slot summaries, reconciler kicks, completion), shortened to
 * `<pid> <time> <message>`; reads Nest's text lines and pino JSON lines alike.
 */
export function jobLogLines(output: string, jobId: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes(jobId))
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { pid?: number; time?: string | number; msg?: string; context?: string };
        const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : new Date(entry.time ?? 0).toISOString().slice(11, 23);
        return `${entry.pid} ${time} ${entry.msg ?? ''}`;
      } catch {
        // eslint-disable-next-line no-control-regex
        return line.replace(/\u001b\[[0-9;]*m/g, '').replace(/^\[Nest\] (\d+)\s+- [^,]*, (\S+ [AP]M)\s+\w+\s+/, '$1 $2 ');
      }
    })
    .map((line) => line.replace(`rewrap job ${jobId}`, 'job'));
}
