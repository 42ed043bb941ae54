import { connect, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A deliberately small HTTP/1.1 keep-alive client for load generation: one TCP connection per concurrent caller,
 * one request in flight per connection (no pipelining), requests pre-serialised. The client shares the 2 cores with
 * the gateway and Postgres, so it is kept cheap (no per-request header objects, timers or promises beyond one) and
 * its own CPU is measured and reported.
 */

export interface HttpTarget {
  host: string;
  port: number;
  path: string;
}

export function parseTarget(gatewayUrl: string, path = '/graphql'): HttpTarget {
  const url = new URL(gatewayUrl);
  if (url.protocol !== 'http:') throw new Error(`only http:// gateway URLs are supported by the bench client (${gatewayUrl})`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80), path };
}

export function buildPost(target: HttpTarget, token: string, body: string): Buffer {
  const payload = Buffer.from(body, 'utf8');
  const head =
    `POST ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nContent-Type: application/json\r\n` +
    `Accept: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${payload.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

export interface HttpResponse {
  status: number;
  body: Buffer;
}

const REQUEST_TIMEOUT_MS = 30_000;
const CRLFCRLF = Buffer.from('\r\n\r\n');

export class KeepAliveConnection {
  private buffer: Buffer | null = null;
  private pending: { resolve: (r: HttpResponse) => void; reject: (e: Error) => void } | null = null;
  private closed = false;
  sentAt = 0;

  private constructor(
    private readonly socket: Socket,
    /** Where it connects to, and reconnects to when the server closed it. */
    readonly target: HttpTarget,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  static open(target: HttpTarget): Promise<KeepAliveConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new KeepAliveConnection(socket, target));
      });
    });
  }

  get usable(): boolean {
    return !this.closed;
  }

  request(raw: Buffer): Promise<HttpResponse> {
    if (this.closed) return Promise.reject(new Error('connection is closed'));
    if (this.pending) return Promise.reject(new Error('a request is already in flight on this connection'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.sentAt = performance.now();
      this.socket.write(raw);
    });
  }

  /** Fails the request in flight if it is older than the timeout (called by a shared watchdog). */
  expire(now: number): void {
    if (this.pending && now - this.sentAt > REQUEST_TIMEOUT_MS) {
      this.fail(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`));
      this.socket.destroy();
    }
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.closed = true;
    const pending = this.pending;
    this.pending = null;
    this.buffer = null;
    pending?.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
    const parsed = parseResponse(this.buffer);
    if (!parsed) return;
    this.buffer = null;
    if (parsed.close) this.closed = true;
    const pending = this.pending;
    this.pending = null;
    if (pending) pending.resolve({ status: parsed.status, body: parsed.body });
    if (parsed.close) this.socket.destroy();
  }
}

/** A complete response in buf, or null while more bytes are needed. Content-Length and chunked bodies. */
function parseResponse(buf: Buffer): { status: number; body: Buffer; close: boolean } | null {
  const headerEnd = buf.indexOf(CRLFCRLF);
  if (headerEnd < 0) return null;
  const head = buf.toString('latin1', 0, headerEnd);
  const status = Number(head.slice(9, 12));
  const close = /\r\nconnection:\s*close/i.test(head);
  const start = headerEnd + 4;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const end = start + Number(length[1]);
    if (buf.length < end) return null;
    return { status, body: buf.subarray(start, end), close };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
      if (Number.isNaN(size)) throw new Error('bad chunked encoding');
      if (size === 0) {
        if (buf.length < lineEnd + 4) return null;
        return { status, body: Buffer.concat(parts), close };
      }
      const dataStart = lineEnd + 2;
      if (buf.length < dataStart + size + 2) return null;
      parts.push(buf.subarray(dataStart, dataStart + size));
      at = dataStart + size + 2;
    }
  }
  // No length and not chunked: only valid with Connection: close; not expected from the gateway.
  return { status, body: buf.subarray(start), close: true };
}

export interface RequestSource {
  /** The next serialised request and the validator of its response body: null when valid, else an error label. */
  next(): { raw: Buffer; check: (body: Buffer) => string | null };
}

export interface LoadResult {
  concurrency: number;
  seconds: number;
  completed: number;
  ok: number;
  errors: number;
  errorKinds: Record<string, number>;
  errorSamples: string[];
  opsPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  clientCpuPercent: number;
}

/**
 * Runs one caller per connection for `seconds` (each: send, wait for the response, check, repeat). No new request
 * starts after the deadline; requests in flight are awaited, so every request sent is accounted for (ok or error).
 * A connection the server closed is reopened to its own target.
 */
export async function runLoad(connections: KeepAliveConnection[], source: RequestSource, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  const errorSamples: string[] = [];
  let ok = 0;
  let errors = 0;
  const recordError = (kind: string, sample: string): void => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    if (errorSamples.length < 5) errorSamples.push(sample.slice(0, 300));
  };
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const c of connections) c.expire(now);
  }, 1000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  try {
    await Promise.all(
      connections.map(async (initial, index) => {
        let conn = initial;
        while (performance.now() < deadline) {
          if (!conn.usable) {
            try {
              conn = await KeepAliveConnection.open(conn.target);
              connections[index] = conn;
            } catch (error) {
              recordError('connect', String(error));
              await new Promise((r) => setTimeout(r, 50));
              continue;
            }
          }
          const { raw, check } = source.next();
          const start = performance.now();
          let response: HttpResponse;
          try {
            response = await conn.request(raw);
          } catch (error) {
            recordError('transport', String(error));
            continue;
          }
          latencies.push(performance.now() - start);
          if (response.status !== 200) {
            recordError(`http-${response.status}`, response.body.toString('utf8'));
            continue;
          }
          let verdict: string | null;
          try {
            verdict = check(response.body);
          } catch (error) {
            verdict = `unparseable: ${String(error)}`;
          }
          if (verdict === null) ok++;
          else recordError(verdict.split(':')[0], `${verdict} — ${response.body.toString('utf8')}`);
        }
      }),
    );
  } finally {
    clearInterval(watchdog);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
  const mean = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : 0;
  return {
    concurrency: connections.length,
    seconds: round(elapsed, 3),
    completed: ok + errors,
    ok,
    errors,
    errorKinds,
    errorSamples,
    opsPerSec: Math.round(ok / elapsed),
    latencyMs: { mean: round(mean, 2), p50: round(q(0.5), 2), p90: round(q(0.9), 2), p99: round(q(0.99), 2), max: round(q(1), 2) },
    clientCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
  };
}

export async function openConnections(target: HttpTarget, n: number): Promise<KeepAliveConnection[]> {
  return openConnectionsAcross([target], n);
}

/** n connections split evenly over the targets (round robin: with 2 targets and 64 callers, 32 each). */
export async function openConnectionsAcross(targets: HttpTarget[], n: number): Promise<KeepAliveConnection[]> {
  if (targets.length === 0) throw new Error('no target');
  return Promise.all(Array.from({ length: n }, (_, i) => KeepAliveConnection.open(targets[i % targets.length])));
}

export function closeConnections(connections: KeepAliveConnection[]): void {
  for (const c of connections) c.close();
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
