import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcess, httpOk } from '@keybridge/testing';

const ROOT = join(__dirname, '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Loaded into the private processes with --require: the console span exporter prints spans with console.dir, whose
 * util.inspect cuts strings after 10,000 characters and arrays after 100 items; a secret past the cut would be
 * missed by the scan, so nothing is cut.
 */
const PRELOAD = `const util = require('node:util');
util.inspect.defaultOptions.maxStringLength = Infinity;
util.inspect.defaultOptions.maxArrayLength = Infinity;
util.inspect.defaultOptions.breakLength = Infinity;
`;

/** Tracing to stdout and nothing else: OTEL_TRACES_EXPORTER=console prints every ended span. */
export function telemetryEnv(workDir: string): NodeJS.ProcessEnv {
  const preload = join(workDir, 'inspect-uncut.cjs');
  writeFileSync(preload, PRELOAD);
  return {
    ...process.env,
    OTEL_TRACES_EXPORTER: 'console',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_TRACES_SAMPLER: 'always_on',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`.trim(),
  };
}

/** A gateway or worker of this test (dist/), its stdout and stderr appended to one file. */
export class PrivateProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly app: 'gateway' | 'worker',
    readonly logFile: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly ready: (log: string) => Promise<boolean>,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** One retry: dist/ is shared with whoever rebuilds it meanwhile (tsc rewrites it before tsc-alias fixes imports). */
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
    const fd = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', this.app, 'src', 'main.js')], { env: this.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    for (let i = 0; i < 240; i++) {
      if (child.exitCode !== null) throw new Error(`${this.app} exited ${child.exitCode}:\n${this.tail()}`);
      if (await this.ready(this.log())) return;
      await sleep(250);
    }
    throw new Error(`${this.app} not ready within 60 s:\n${this.tail()}`);
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }

  private tail(): string {
    return this.log().slice(-3000);
  }

  /** SIGTERM (Nest shutdown hooks run), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopProcess(child, 15_000);
  }
}

export { httpOk as httpReady };
