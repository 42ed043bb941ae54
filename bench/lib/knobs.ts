import { resolve } from 'node:path';

/** A positive number from the environment, or the fallback when unset. */
export function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${JSON.stringify(raw)})`);
  return value;
}

/** A comma list from the environment, each item one of `allowed`. */
export function list<T extends string>(name: string, fallback: string, allowed: readonly T[]): T[] {
  const items = (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (bad.length || items.length === 0) throw new Error(`${name} is a comma list of ${allowed.join(', ')} (got ${JSON.stringify(process.env[name])})`);
  return [...new Set(items)] as T[];
}

/**
 * The knobs every API benchmark shares (docs/benchmarks.md): window and warm-up lengths, concurrencies, pool,
 * quiet-machine wait and contamination threshold, result file label and directory.
 */
export function commonSettings() {
  const concurrencies = process.env.BENCH_CONCURRENCIES
    ? process.env.BENCH_CONCURRENCIES.split(',').map((s) => Number(s.trim()))
    : [num('BENCH_CONCURRENCY', 16), num('BENCH_CONCURRENCY_HIGH', 64)];
  if (concurrencies.some((c) => !Number.isInteger(c) || c < 1 || c > 1024)) throw new Error('concurrencies must be integers 1..1024');
  return {
    seconds: num('BENCH_SECONDS', 8),
    auxSeconds: num('BENCH_AUX_SECONDS', 3),
    warmupSeconds: num('BENCH_WARMUP_SECONDS', 1.5),
    concurrencies: [...new Set(concurrencies)],
    pool: process.env.BENCH_POOL ?? 'pool-a',
    raw: process.env.BENCH_RAW !== '0',
    label: (process.env.BENCH_LABEL ?? '').replace(/[^A-Za-z0-9._-]/g, ''),
    resultsDir: process.env.BENCH_RESULTS_DIR ?? resolve(__dirname, '..', '..', '..', 'bench', 'results'),
    quietMaxOthers: num('BENCH_QUIET_MAX_OTHERS', 15),
    quietWaitSeconds: num('BENCH_QUIET_WAIT', 90),
    contaminatedAt: num('BENCH_CONTAMINATED_AT', 25),
  };
}

export type CommonSettings = ReturnType<typeof commonSettings>;
