import { performance } from 'node:perf_hooks';
import * as pkcs11js from 'pkcs11js';

/**
 * The measuring loops of the raw PKCS#11 baselines (raw-baseline.ts): one variant = one way of doing one family's
 * work, timed synchronously on one session or asynchronously with callers queued FIFO on the pool's sessions.
 */

export type RawFamily = 'kwp-wrap' | 'rsa-oaep-unwrap' | 'generate-data-key' | 'release-data-key' | 'create-key';

export interface RawMeasurement {
  id: string;
  family: RawFamily;
  shape: 'gateway' | 'pure';
  api: 'pkcs11js' | 'graphene-pk11';
  mode: 'sync' | 'async';
  sessions: number;
  inFlight: number;
  description: string;
  ops: number;
  errors: number;
  firstError?: string;
  seconds: number;
  opsPerSec: number;
  /** CPU of this process during the measurement, % of one core (all threads). */
  cpuPercent: number;
}

export interface Variant {
  id: string;
  family: RawFamily;
  shape: 'gateway' | 'pure';
  api: 'pkcs11js' | 'graphene-pk11';
  mode: 'sync' | 'async';
  /** A candidate for the family's reference (measured for `seconds`, not `auxSeconds`). */
  reference: boolean;
  description: string;
  /** Returns the operation for one session; every operation checks its own result. */
  sync?: (session: Buffer) => () => void;
  async?: (session: Buffer) => () => Promise<void>;
  /** Untimed, after the warm-up and after the window (e.g. destroy the token objects the operations made). */
  afterRun?: () => void;
}

export type OnWindow = (phase: 'start' | 'end') => void;

interface Run {
  ops: number;
  errors: number;
  firstError?: string;
  elapsed: number;
}

export function measureSync(variant: Variant, session: Buffer, seconds: number, warmupSeconds: number, onWindow: OnWindow): RawMeasurement {
  const op = (variant.sync as (s: Buffer) => () => void)(session);
  const loop = (limit: number): Run => {
    let ops = 0;
    let errors = 0;
    let firstError: string | undefined;
    const t0 = performance.now();
    const end = t0 + limit * 1000;
    let now = t0;
    while (now < end) {
      for (let i = 0; i < 10; i++) {
        try {
          op();
          ops++;
        } catch (error) {
          errors++;
          firstError ??= String(error);
        }
      }
      now = performance.now();
    }
    return { ops, errors, firstError, elapsed: (now - t0) / 1000 };
  };
  loop(warmupSeconds);
  variant.afterRun?.();
  onWindow('start');
  const cpu0 = process.cpuUsage();
  const r = loop(seconds);
  const cpu = process.cpuUsage(cpu0);
  onWindow('end');
  variant.afterRun?.();
  return result(variant, 1, 1, r, cpu);
}

export async function measureAsync(
  variant: Variant,
  sessions: Buffer[],
  inFlight: number,
  seconds: number,
  warmupSeconds: number,
  onWindow: OnWindow,
): Promise<RawMeasurement> {
  const ops = new Map(sessions.map((s) => [s, (variant.async as (s: Buffer) => () => Promise<void>)(s)]));
  const idle = [...sessions];
  const waiters: Array<(s: Buffer) => void> = [];
  const acquire = (): Promise<Buffer> => {
    const s = idle.pop();
    return s ? Promise.resolve(s) : new Promise((resolve) => waiters.push(resolve));
  };
  const release = (s: Buffer): void => {
    const waiter = waiters.shift();
    if (waiter) waiter(s);
    else idle.push(s);
  };
  const run = async (limit: number): Promise<Run> => {
    let done = 0;
    let errors = 0;
    let firstError: string | undefined;
    const t0 = performance.now();
    const end = t0 + limit * 1000;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < end) {
          const s = await acquire();
          try {
            await (ops.get(s) as () => Promise<void>)();
            done++;
          } catch (error) {
            errors++;
            firstError ??= String(error);
          } finally {
            release(s);
          }
        }
      }),
    );
    return { ops: done, errors, firstError, elapsed: (performance.now() - t0) / 1000 };
  };
  await run(warmupSeconds);
  variant.afterRun?.();
  onWindow('start');
  const cpu0 = process.cpuUsage();
  const r = await run(seconds);
  const cpu = process.cpuUsage(cpu0);
  onWindow('end');
  variant.afterRun?.();
  return result(variant, sessions.length, inFlight, r, cpu);
}

function result(variant: Variant, sessions: number, inFlight: number, r: Run, cpu: NodeJS.CpuUsage): RawMeasurement {
  return {
    id: variant.id,
    family: variant.family,
    shape: variant.shape,
    api: variant.api,
    mode: variant.mode,
    sessions,
    inFlight,
    description: variant.description,
    ops: r.ops,
    errors: r.errors,
    ...(r.firstError ? { firstError: r.firstError.slice(0, 300) } : {}),
    seconds: Math.round(r.elapsed * 1000) / 1000,
    opsPerSec: Math.round(r.ops / r.elapsed),
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / r.elapsed) * 100),
  };
}

export function findSlot(lib: pkcs11js.PKCS11, label: string): Buffer {
  const found = lib.C_GetSlotList(true).filter((slot) => lib.C_GetTokenInfo(slot).label.trim() === label);
  if (found.length !== 1) throw new Error(`expected one token labelled "${label}", found ${found.length}`);
  return found[0];
}

export function findObject(lib: pkcs11js.PKCS11, session: Buffer, objectId: string, objectClass: number): Buffer {
  lib.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_ID, value: Buffer.from(objectId, 'hex') },
    { type: pkcs11js.CKA_CLASS, value: objectClass },
  ]);
  try {
    const handles = lib.C_FindObjects(session, 2);
    if (handles.length !== 1) throw new Error(`expected one object of class ${objectClass} with CKA_ID ${objectId}, found ${handles.length}`);
    return handles[0];
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}
