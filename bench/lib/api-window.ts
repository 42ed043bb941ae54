import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { LedgerCount, ledgerCount, ledgerHead } from './fixtures';
import { closeConnections, HttpTarget, LoadResult, openConnectionsAcross, RequestSource, runLoad } from './http-load';
import { PgWindowStats, watchPostgres } from './pg-stats';
import { CpuUsage, ProcessSet, snapshot, usageBetween } from './proc-cpu';

/** What every API window of a bench run shares. */
export interface WindowContext {
  db: Client;
  procs: ProcessSet;
  cores: number;
  seconds: number;
  warmupSeconds: number;
  /** Other processes above this % of a core during the window flag it CONTAMINATED. */
  contaminatedAt: number;
  /** Awaited before the warm-up (waits for a quiet machine). */
  quiet: () => Promise<unknown>;
  /** Also watch Postgres during the window (pg-stats.ts). */
  postgres?: boolean;
}

export interface WindowSpec {
  /** The targets' connections are split evenly: `concurrency` callers in all. */
  targets: HttpTarget[];
  concurrency: number;
  source: RequestSource;
  /** The ledger entries every successful call must have. */
  ledger: { vault: string; operation: string };
  /** Rows the operation adds (e.g. escrow records), counted after the warm-up and after the window. */
  rows?: () => Promise<number>;
}

export interface ApiWindow {
  load: LoadResult;
  cpu: CpuUsage;
  ledger: LedgerCount;
  auditMatches: boolean;
  /** Rows added during the window (WindowSpec.rows), or null. */
  rowsAdded: number | null;
  postgres: PgWindowStats | null;
  /** How long after the window the last of its ledger entries took to reach the chain (integration lag), ms. */
  integrationWaitMs: number;
  contaminated: boolean;
}

/**
 * One measurement: wait for a quiet machine, open the connections, warm up, then a window of `seconds` with the CPU
 * of every process sampled from /proc around it; afterwards the ledger's success entries for the window (once
 * integrated into the chain) are counted and compared with the successful calls.
 */
export async function measureApiWindow(ctx: WindowContext, spec: WindowSpec): Promise<ApiWindow> {
  await ctx.quiet();
  const connections = await openConnectionsAcross(spec.targets, spec.concurrency);
  try {
    const warm = await runLoad(connections, spec.source, ctx.warmupSeconds);
    if (warm.ok === 0) {
      throw new Error(`${spec.ledger.operation} @${spec.concurrency}: no successful call during warm-up; errors: ${JSON.stringify(warm.errorKinds)} ${warm.errorSamples.join(' | ')}`);
    }
    const head = await ledgerHead(ctx.db);
    const rowsBefore = spec.rows ? await spec.rows() : null;
    const pg = ctx.postgres ? await watchPostgres(ctx.db) : null;
    const before = snapshot(ctx.procs);
    const load = await runLoad(connections, spec.source, ctx.seconds);
    const after = snapshot(ctx.procs);
    const postgres = pg ? await pg.end() : null;
    const t0 = performance.now();
    const ledger = await ledgerCount(ctx.db, spec.ledger.vault, spec.ledger.operation, head);
    const integrationWaitMs = Math.round(performance.now() - t0);
    const rowsAdded = spec.rows && rowsBefore !== null ? (await spec.rows()) - rowsBefore : null;
    const cpu = usageBetween(before, after, ctx.cores);
    return {
      load,
      cpu,
      ledger,
      auditMatches: ledger.success === load.ok,
      rowsAdded,
      postgres,
      integrationWaitMs,
      contaminated: cpu.others > ctx.contaminatedAt,
    };
  } finally {
    closeConnections(connections);
  }
}

/** The one-line summary of a window. */
export function windowLine(name: string, w: ApiWindow): string {
  const { load, cpu, ledger } = w;
  return (
    `api ${name.padEnd(24)} ${String(load.opsPerSec).padStart(6)} ops/s  p50 ${load.latencyMs.p50} ms  p99 ${load.latencyMs.p99} ms  ` +
    `errors ${load.errors}  ledger +${ledger.success} success/+${ledger.total} total  cpu: gateway ${cpu.gateway}% (loop ${cpu.gatewayEventLoop}%), ` +
    `postgres ${cpu.postgres}%, client ${load.clientCpuPercent}%, others ${cpu.others}%, machine ${cpu.machineBusy}/${cpu.machineCapacity}%` +
    (w.contaminated ? '  CONTAMINATED' : '')
  );
}

/** The !!!!! lines of a window that failed calls or whose ledger does not match (empty when all is well). */
export function windowFailures(name: string, w: ApiWindow): string[] {
  const out: string[] = [];
  const { load } = w;
  if (load.errors > 0) {
    out.push(`!!!!! ${load.errors} FAILED CALLS (${((load.errors / Math.max(1, load.completed)) * 100).toFixed(1)}%) in ${name}: ${JSON.stringify(load.errorKinds)}`);
    for (const s of load.errorSamples) out.push(`!!!!!   ${s.trimEnd()}`);
  }
  if (!w.auditMatches) {
    out.push(`!!!!! LEDGER MISMATCH in ${name}: ${load.ok} successful calls but ${w.ledger.success} success entries (${w.ledger.total} entries in all)`);
  }
  return out;
}
