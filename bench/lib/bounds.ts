import { LoadResult } from './http-load';
import { CpuUsage } from './proc-cpu';

/** CPU of one process per call, in ms, from its % of a core over the window and the calls/s. */
export function msPerCall(percent: number | null, opsPerSec: number): number {
  return opsPerSec > 0 ? ((percent ?? 0) / 100 / opsPerSec) * 1000 : 0;
}

/**
 * What bounded one API window, from the CPU of every process on the machine over it: CPU per call and the ceiling it
 * implies, a saturated event loop (per gateway process), a saturated or mostly busy machine, else latency ×
 * concurrency. `extra` adds lines that only the caller can judge (e.g. RSA on the HSM threads).
 */
export function boundsOf(run: { cpu: CpuUsage; load: LoadResult }, cores: number, extra: string[] = []): string[] {
  const { cpu, load } = run;
  const out: string[] = [];
  const capacity = cores * 100;
  const inFlight = `${load.concurrency} in flight / ${load.latencyMs.mean} ms mean latency ≈ ${Math.round((load.concurrency / Math.max(load.latencyMs.mean, 0.001)) * 1000)}/s`;
  if (load.opsPerSec > 0) {
    const ms = (percent: number | null): number => msPerCall(percent, load.opsPerSec);
    const server = ms(cpu.gateway) + ms(cpu.postgres) + ms(cpu.worker) + ms(cpu.redis);
    out.push(
      `CPU per call: gateway ${ms(cpu.gateway).toFixed(2)} ms (event loop ${ms(cpu.gatewayEventLoop).toFixed(2)} ms), postgres ${ms(cpu.postgres).toFixed(2)} ms, ` +
        `worker ${ms(cpu.worker).toFixed(2)} ms, bench client ${ms(cpu.bench).toFixed(2)} ms, other processes ${ms(cpu.others).toFixed(2)} ms → ` +
        `the server side alone could do at most ≈ ${Math.round((cores * 1000) / server)} calls/s on ${cores} cores`,
    );
  }
  for (const g of cpu.gateways) {
    if (g.eventLoop !== null && g.eventLoop >= 85) {
      const which = cpu.gateways.length > 1 ? `gateway pid ${g.pid}` : 'gateway';
      out.push(`${which} event loop saturated: its main JS thread used ${g.eventLoop}% of a core (single-threaded work per request)`);
    }
  }
  const shares = `gateway ${cpu.gateway}%, postgres ${cpu.postgres}%, bench client ${cpu.bench}%, other processes ${cpu.others}%`;
  if (cpu.machineBusy >= capacity * 0.9) {
    out.push(`machine CPU saturated: ${cpu.machineBusy}% of ${capacity}% busy (${shares})`);
  } else if (cpu.machineBusy >= capacity * 0.75) {
    out.push(
      `machine CPU mostly busy: ${cpu.machineBusy}% of ${capacity}% (${shares}); the idle rest is hand-off latency between the event loop, ` +
        `Postgres and the HSM threads (${inFlight})`,
    );
  }
  out.push(...extra);
  if (out.length === 1) {
    out.push(
      `no CPU resource saturated (machine ${cpu.machineBusy}% of ${capacity}%, gateway event loop ${cpu.gatewayEventLoop}%): ` +
        `bounded by latency × concurrency (${inFlight})`,
    );
  }
  return out;
}

/** One line with every process's share of the window, % of one core. */
export function cpuLine(cpu: CpuUsage, clientCpuPercent: number): string {
  const gateways =
    cpu.gateways.length > 1
      ? `gateways ${cpu.gateway}% (${cpu.gateways.map((g) => `pid ${g.pid}: ${g.cpu}%, loop ${g.eventLoop}%`).join('; ')})`
      : `gateway ${cpu.gateway}% (event loop ${cpu.gatewayEventLoop}%, other threads ${cpu.gatewayOtherThreads}%)`;
  return (
    `${gateways}, postgres ${cpu.postgres}%, bench client ${clientCpuPercent}%, worker ${cpu.worker}%, redis ${cpu.redis}%, ` +
    `other processes ${cpu.others}%, machine ${cpu.machineBusy}% of ${cpu.machineCapacity}%`
  );
}
