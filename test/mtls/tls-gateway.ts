import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GraphQLResponse, freePort, stopProcess } from '@keybridge/testing';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** ops/local/dev-certs.sh into `dir`, plus one client certificate per extra name (CN = the name). */
export async function devCertificates(dir: string, extraClients: string[]): Promise<void> {
  await run('bash', [join(ROOT, 'ops', 'local', 'dev-certs.sh'), dir, ...extraClients]);
}

export { freePort };

/** A gateway process of this test (dist/apps/gateway/src/main.js) serving HTTPS on its own port, on the shared stack. */
export class TlsGateway {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  /** One retry when it dies during start-up: dist/ is shared with whoever builds meanwhile. */
  async start(): Promise<void> {
    try {
      await this.startOnce();
    } catch (error) {
      await sleep(3000);
      await this.startOnce().catch((again: unknown) => Promise.reject(again instanceof Error ? again : error));
    }
  }

  private startOnce(): Promise<void> {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js')], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(this.port), LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not start within 60 s:\n${this.output.slice(-2000)}`)), 60_000);
      child.stdout?.on('data', (d: Buffer) => {
        this.output += d.toString();
        if (this.output.includes('GraphQL at https://')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited ${code}:\n${this.output.slice(-2000)}`));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopProcess(child, 10_000);
  }
}

export interface TlsClient {
  ca: string;
  /** Basename in the certificate directory: `<name>.pem` and `<name>.key`. */
  certificate?: string;
  token?: string;
}

export interface HttpsAnswer<T> {
  status: number;
  body: GraphQLResponse<T>;
}

/**
 * One GraphQL request on a fresh TLS connection (no agent: a kept-alive connection would carry another test's
 * client certificate). Rejects when the handshake or the connection fails, i.e. without any HTTP response.
 */
export function tlsGraphql<T = Record<string, unknown>>(
  port: number,
  dir: string,
  client: TlsClient,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<HttpsAnswer<T>> {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        ca: readFileSync(join(dir, client.ca)),
        ...(client.certificate
          ? { cert: readFileSync(join(dir, `${client.certificate}.pem`)), key: readFileSync(join(dir, `${client.certificate}.key`)) }
          : {}),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(client.token ? { authorization: `Bearer ${client.token}` } : {}),
        },
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as GraphQLResponse<T> });
          } catch {
            reject(new Error(`not JSON (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The error of a connection the server refused during (TLS 1.2) or right after (TLS 1.3: the client's handshake
 * finishes first, the server's alert arrives with the first read) the handshake.
 */
export const HANDSHAKE_REFUSED = /^(ECONNRESET|EPIPE|ERR_SSL_[A-Z0-9_]+)$/;

export { run as execFileAsync };
