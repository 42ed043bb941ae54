import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function pad(s: string | number, n: number, left = false): string {
  const t = String(s);
  return left ? t.padEnd(n) : t.padStart(n);
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Writes <dir>/<prefix><start time>[-label].json and returns its path. */
export function writeResults(dir: string, prefix: string, startedAt: Date, label: string, result: unknown): string {
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `${prefix}${stamp}${label ? `-${label}` : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}
