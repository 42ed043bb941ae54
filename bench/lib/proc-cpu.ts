import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * CPU time of the processes that share the machine during a measurement, from /proc (Linux): the gateway (all
 * threads, and its main thread = the JavaScript event loop, separately), the worker, Postgres (postmaster and all
 * its children), Redis, and the whole machine (/proc/stat). Figures are % of one core over the window.
 */

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime+stime ticks and ppid of /proc/<pid>[/task/<tid>]/stat, or undefined if gone. */
function readStat(path: string): { ticks: number; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] = state (field 3), fields[1] = ppid (4), fields[11] = utime (14), fields[12] = stime (15)
  return { ticks: Number(fields[11]) + Number(fields[12]), ppid: Number(fields[1]) };
}

function readPidFile(path: string | undefined): number | undefined {
  if (!path) return undefined;
  try {
    const pid = Number(readFileSync(path, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface ProcessSet {
  gatewayPid?: number;
  /** Further gateway processes on the same stack (scale-out runs); counted in "gateway" and listed one by one. */
  moreGatewayPids?: number[];
  workerPid?: number;
  postmasterPid?: number;
  redisPid?: number;
}

/** The processes of a local runner data dir (ops/local/up.sh), with optional overrides. */
export function processesOf(dataDir: string | undefined, overrides: Partial<ProcessSet> = {}): ProcessSet {
  return {
    gatewayPid: overrides.gatewayPid ?? readPidFile(dataDir && `${dataDir}/run/gateway.pid`),
    workerPid: overrides.workerPid ?? readPidFile(dataDir && `${dataDir}/run/worker.pid`),
    postmasterPid: overrides.postmasterPid ?? readPidFile(dataDir && `${dataDir}/pg/data/postmaster.pid`),
    redisPid: overrides.redisPid ?? readPidFile(dataDir && `${dataDir}/redis/redis.pid`),
  };
}

interface Snapshot {
  at: number;
  self?: number;
  /** All threads and the main thread of each gateway process. */
  gateways: Array<{ pid: number; all?: number; main?: number }>;
  worker?: number;
  redis?: number;
  postgres: Map<number, number>;
  machineBusy: number;
  machineTotal: number;
}

function machine(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is included in user)
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function postgresTicks(postmaster: number | undefined): Map<number, number> {
  const out = new Map<number, number>();
  if (!postmaster) return out;
  const own = readStat(`/proc/${postmaster}/stat`);
  if (!own) return out;
  out.set(postmaster, own.ticks);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(`/proc/${entry}/stat`);
    if (stat && stat.ppid === postmaster) out.set(Number(entry), stat.ticks);
  }
  return out;
}

export function snapshot(set: ProcessSet): Snapshot {
  const m = machine();
  const ticks = (pid?: number, tid?: number): number | undefined =>
    pid ? readStat(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`)?.ticks : undefined;
  return {
    at: performance.now(),
    self: ticks(process.pid),
    gateways: [set.gatewayPid, ...(set.moreGatewayPids ?? [])]
      .filter((pid): pid is number => pid !== undefined)
      .map((pid) => ({ pid, all: ticks(pid), main: ticks(pid, pid) })),
    worker: ticks(set.workerPid),
    redis: ticks(set.redisPid),
    postgres: postgresTicks(set.postmasterPid),
    machineBusy: m.busy,
    machineTotal: m.total,
  };
}

export interface CpuUsage {
  seconds: number;
  /** % of one core; with several gateway processes, their sum (each one is in `gateways`). */
  gateway: number | null;
  /** The gateways' main threads (JavaScript event loops), summed. */
  gatewayEventLoop: number | null;
  gatewayOtherThreads: number | null;
  gateways: Array<{ pid: number; cpu: number | null; eventLoop: number | null }>;
  worker: number | null;
  postgres: number | null;
  redis: number | null;
  /** This (bench) process: the load client, or the raw baseline. */
  bench: number | null;
  /** Everything else on the machine (other users' jobs, kernel, …): machine busy minus the processes above. */
  others: number;
  /** Busy share of the whole machine, % of one core (capacity = cores × 100). */
  machineBusy: number;
  machineCapacity: number;
}

export function usageBetween(a: Snapshot, b: Snapshot, cores: number): CpuUsage {
  const seconds = (b.at - a.at) / 1000;
  const hz = ticksPerSecond();
  const pct = (x?: number, y?: number): number | null => (x === undefined || y === undefined ? null : Math.round(((y - x) / hz / seconds) * 100));
  let pg = 0;
  for (const [pid, t] of b.postgres) pg += t - (a.postgres.get(pid) ?? 0);
  const gateways = b.gateways.map((g) => {
    const before = a.gateways.find((x) => x.pid === g.pid);
    return { pid: g.pid, cpu: pct(before?.all, g.all), eventLoop: pct(before?.main, g.main) };
  });
  const sum = (values: Array<number | null>): number | null => (values.length && values.every((v) => v !== null) ? values.reduce<number>((n, v) => n + (v ?? 0), 0) : null);
  const gateway = sum(gateways.map((g) => g.cpu));
  const main = sum(gateways.map((g) => g.eventLoop));
  const busyShare = b.machineTotal > a.machineTotal ? (b.machineBusy - a.machineBusy) / (b.machineTotal - a.machineTotal) : 0;
  const machineBusy = Math.round(busyShare * cores * 100);
  const worker = pct(a.worker, b.worker);
  const redis = pct(a.redis, b.redis);
  const bench = pct(a.self, b.self);
  const postgres = b.postgres.size ? Math.round((pg / hz / seconds) * 100) : null;
  const ours = [gateway, worker, redis, bench, postgres].reduce<number>((n, x) => n + (x ?? 0), 0);
  return {
    seconds: Math.round(seconds * 1000) / 1000,
    gateway,
    gatewayEventLoop: main,
    gatewayOtherThreads: gateway !== null && main !== null ? gateway - main : null,
    gateways,
    worker,
    postgres,
    redis,
    bench,
    others: Math.max(0, machineBusy - ours),
    machineBusy,
    machineCapacity: cores * 100,
  };
}

/**
 * Waits until the rest of the machine is quiet: other processes (not this stack, not this process) below
 * `maxOthers` % of a core over a 1 s sample, for at most `maxWaitSeconds`. Returns the seconds waited and the last
 * "others" figure; the caller reports a measurement taken on a busy machine.
 */
export async function waitForQuiet(
  set: ProcessSet,
  cores: number,
  maxOthers: number,
  maxWaitSeconds: number,
  log: (line: string) => void,
): Promise<{ waited: number; others: number; quiet: boolean }> {
  const t0 = performance.now();
  let told = false;
  for (;;) {
    const a = snapshot(set);
    await new Promise((r) => setTimeout(r, 1000));
    const u = usageBetween(a, snapshot(set), cores);
    const waited = Math.round((performance.now() - t0) / 100) / 10;
    if (u.others <= maxOthers) {
      if (told) log(`bench: machine quiet after ${waited} s`);
      return { waited, others: u.others, quiet: true };
    }
    if (waited >= maxWaitSeconds) {
      log(`bench: WARNING: the machine is still busy after ${waited} s (other processes use ${u.others}% of a core); measuring anyway`);
      return { waited, others: u.others, quiet: false };
    }
    if (!told) {
      log(`bench: waiting for the machine to go quiet (other processes use ${u.others}% of a core; limit ${maxOthers}%, up to ${maxWaitSeconds} s)`);
      told = true;
    }
  }
}
