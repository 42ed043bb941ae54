import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { stopProcess, httpOk } from '@keybridge/testing';

const ROOT = join(__dirname, '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A gateway or worker of this test (dist/), on the shared stack, with its stdout and stderr kept in memory. */
export class TelemetryProcess {
  private child: ChildProcess | undefined;
  stdout = '';
  stderr = '';

  constructor(
    readonly app: 'gateway' | 'worker',
    private readonly env: NodeJS.ProcessEnv,
    private readonly ready: (p: TelemetryProcess) => Promise<boolean>,
  ) {}

  /** One retry: dist/ is shared with whoever rebuilds it meanwhile. */
  async start(): Promise<void> {
    try {
      await this.startOnce();
    } catch {
      await this.stop();
      await sleep(3000);
      await this.startOnce();
    }
  }

  private async startOnce(): Promise<void> {
    this.stdout = '';
    this.stderr = '';
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', this.app, 'src', 'main.js')], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child = child;
    for (let i = 0; i < 240; i++) {
      if (child.exitCode !== null) throw new Error(`${this.app} exited ${child.exitCode}:\n${this.tail()}`);
      if (await this.ready(this)) return;
      await sleep(250);
    }
    throw new Error(`${this.app} not ready within 60 s:\n${this.tail()}`);
  }

  tail(): string {
    return `${this.stdout.slice(-2000)}\n${this.stderr.slice(-2000)}`;
  }

  /** The stdout lines that are JSON objects (the console span exporter prints multi-line objects in between). */
  jsonLines(): Array<Record<string, unknown>> {
    return this.stdout.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopProcess(child, 15_000);
  }
}

export { httpOk };
