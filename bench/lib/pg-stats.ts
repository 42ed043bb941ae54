import { performance } from 'node:perf_hooks';
import { Client } from 'pg';

/**
 * What Postgres did during a window, for the ledger's serialization points (docs/scale.md): write transactions
 * (transaction ids assigned: exact), WAL bytes (LSN difference: exact), commits and WAL flushes (cumulative
 * statistics, which backends report at most once a second: approximate over a few seconds), entries the integrator
 * added to the chain (exact), client connections, and — sampled every 100 ms from pg_stat_activity — how many were
 * running a statement and how often a ledger integrator was (its duty cycle), and the ledger queue's backlog at the
 * end. Needs a role that may read pg_stat_wal (the bench's DATABASE_MIGRATION_URL);
 * figures it cannot read are null.
 */

interface PgSnapshot {
  at: number;
  xid: bigint;
  lsn: string;
  chainHead: number;
  commits: number | null;
  walSyncs: number | null;
  walWrites: number | null;
}

export interface PgWindowStats {
  seconds: number;
  writeXactsPerSec: number;
  walBytesPerSec: number;
  /** ≈ commits of all transactions, read-only ones included (statistics reported up to 1 s late by each backend) */
  commitsPerSec: number | null;
  /** ≈ WAL flushes to disk (0 with fsync off) */
  walSyncsPerSec: number | null;
  walWritesPerSec: number | null;
  clientConnections: number | null;
  /** connections running a statement other than the integrator's, sampled every 100 ms: mean and max */
  activeConnections: { mean: number; max: number } | null;
  /** ledger entries integrated into the chain per second (exact) */
  chainEntriesPerSec: number;
  /** share of the samples in which a ledger_integrate call was running (the integrator's duty cycle) */
  integratorBusy: number | null;
  /** ledger_queue rows not yet in the chain when the window ended */
  ledgerQueueBacklog: number | null;
}

async function optional<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch {
    return null;
  }
}

async function pgSnapshot(db: Client): Promise<PgSnapshot> {
  const { rows } = await db.query<{ xid: string; lsn: string; head: string | null }>(
    'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid, pg_current_wal_lsn()::text AS lsn, (SELECT max(seq) FROM ledger_entries) AS head',
  );
  const commits = await optional(async () => Number((await db.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n));
  const wal = await optional(async () => (await db.query<{ s: string; w: string }>('SELECT wal_sync AS s, wal_write AS w FROM pg_stat_wal')).rows[0]);
  return {
    at: performance.now(),
    xid: BigInt(rows[0].xid),
    lsn: rows[0].lsn,
    chainHead: Number(rows[0].head ?? 0),
    commits,
    walSyncs: wal ? Number(wal.s) : null,
    walWrites: wal ? Number(wal.w) : null,
  };
}

const INTEGRATE = "query LIKE '%ledger_integrate(%'";
const CONNECTIONS = `SELECT count(*) AS total, count(*) FILTER (WHERE state = 'active' AND NOT ${INTEGRATE}) AS active,
    count(*) FILTER (WHERE state = 'active' AND ${INTEGRATE}) AS integrating
  FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`;

/** Starts watching Postgres (call right before the window); `end` (right after it) returns the figures. */
export async function watchPostgres(db: Client): Promise<{ end(): Promise<PgWindowStats> }> {
  await db.query("SET stats_fetch_consistency = 'none'").catch(() => undefined);
  const a = await pgSnapshot(db);
  const active: number[] = [];
  let integrating = 0;
  let total: number | null = null;
  let sampling: Promise<void> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return; // a slow sample: skip rather than queue
    busy = true;
    sampling = sampling.then(async () => {
      const row = await optional(async () => (await db.query<{ total: string; active: string; integrating: string }>(CONNECTIONS)).rows[0]);
      busy = false;
      if (!row) return;
      active.push(Number(row.active));
      if (Number(row.integrating) > 0) integrating++;
      total = Math.max(total ?? 0, Number(row.total));
    });
  }, 100);
  return {
    async end(): Promise<PgWindowStats> {
      clearInterval(timer);
      await sampling;
      const b = await pgSnapshot(db);
      const seconds = (b.at - a.at) / 1000;
      const perSec = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : Math.round((y - x) / seconds));
      const walBytes = Number((await db.query<{ d: string }>('SELECT pg_wal_lsn_diff($1, $2)::text AS d', [b.lsn, a.lsn])).rows[0].d);
      const backlog = await optional(async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM ledger_queue')).rows[0].n));
      return {
        seconds: Math.round(seconds * 1000) / 1000,
        writeXactsPerSec: Math.round(Number(b.xid - a.xid) / seconds),
        walBytesPerSec: Math.round(walBytes / seconds),
        commitsPerSec: perSec(a.commits, b.commits),
        walSyncsPerSec: perSec(a.walSyncs, b.walSyncs),
        walWritesPerSec: perSec(a.walWrites, b.walWrites),
        clientConnections: total,
        activeConnections: active.length
          ? { mean: Math.round((active.reduce((x, y) => x + y, 0) / active.length) * 10) / 10, max: Math.max(...active) }
          : null,
        chainEntriesPerSec: Math.round((b.chainHead - a.chainHead) / seconds),
        integratorBusy: active.length ? Math.round((integrating / active.length) * 1000) / 1000 : null,
        ledgerQueueBacklog: backlog,
      };
    },
  };
}

/** Per call of a window with `opsPerSec` successful calls: write transactions, WAL bytes and flushes. */
export function pgPerCall(stats: PgWindowStats, opsPerSec: number): { writeXacts: number; walBytes: number; walSyncs: number | null } {
  const per = (x: number): number => (opsPerSec > 0 ? Math.round((x / opsPerSec) * 100) / 100 : 0);
  return { writeXacts: per(stats.writeXactsPerSec), walBytes: Math.round(per(stats.walBytesPerSec)), walSyncs: stats.walSyncsPerSec === null ? null : per(stats.walSyncsPerSec) };
}
