import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const GATEWAY = resolve(__dirname, '..', '..', 'apps', 'gateway', 'src', 'main.js');

function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const server = createServer();
    server.once('error', ko);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? ok(port) : ko(new Error('no free port'))));
    });
  });
}

/**
 * One more gateway process on the stack the bench runs against (scale-out): node dist/apps/gateway/src/main.js with
 * the bench's environment (the stack's keybridge.env: same Postgres, Redis and HSM pools) on a free port, logging to
 * a file as ops/local/up.sh's gateway does. Ready when /health/ready answers 200.
 */
export class ExtraGateway {
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly logFile: string,
  ) {
    child.once('exit', () => (this.exited = true));
  }

  static async start(logFile: string, timeoutMs = 90_000): Promise<ExtraGateway> {
    const port = await freePort();
    const out = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [GATEWAY], { env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    const gateway = new ExtraGateway(child, `http://127.0.0.1:${port}`, logFile);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (gateway.exited) throw new Error(`the extra gateway exited during start-up: ${gateway.logTail()}`);
      try {
        const response = await fetch(`${gateway.url}/health/ready`, { signal: AbortSignal.timeout(5000) });
        if (response.ok) return gateway;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await gateway.stop();
    throw new Error(`the extra gateway was not ready within ${timeoutMs / 1000} s: ${gateway.logTail()}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-2000);
    } catch {
      return '(no log)';
    }
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(timer);
  }
}
