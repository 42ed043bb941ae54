import { RawBaselineOptions, RawBaselineResult } from '@keybridge/hsm';
import { CpuUsage, ProcessSet, snapshot, usageBetween } from './proc-cpu';

/**
 * The hooks a bench passes to runRawBaseline: wait for a quiet machine before each measurement, sample every
 * process's CPU around each window (`windows`, by measurement id), and log each result with the machine's load,
 * adding the contaminated ones to `contaminated`.
 */
export function rawWindowHooks(o: {
  procs: ProcessSet;
  cores: number;
  contaminatedAt: number;
  quiet: () => Promise<unknown>;
  log: (line: string) => void;
  contaminated: string[];
}): { windows: Record<string, CpuUsage>; hooks: Pick<RawBaselineOptions, 'beforeEach' | 'onWindow' | 'log'> } {
  const windows: Record<string, CpuUsage> = {};
  let start: ReturnType<typeof snapshot> | undefined;
  return {
    windows,
    hooks: {
      beforeEach: async () => void (await o.quiet()),
      onWindow: (id, phase) => {
        if (phase === 'start') start = snapshot(o.procs);
        else if (start) windows[id] = usageBetween(start, snapshot(o.procs), o.cores);
      },
      log: (line) => {
        const id = /^raw (\S+)/.exec(line)?.[1];
        const u = id ? windows[id] : undefined;
        const dirty = u !== undefined && u.others > o.contaminatedAt;
        if (dirty) o.contaminated.push(`raw ${id}: other processes used ${u.others}% of a core`);
        o.log(u ? `${line}  [machine ${u.machineBusy}%, others ${u.others}%${dirty ? ' CONTAMINATED' : ''}]` : line);
      },
    },
  };
}

/** The !!!!! lines of raw measurements that had errors (empty when none had). */
export function rawErrorLines(raw: RawBaselineResult): string[] {
  return raw.measurements.filter((m) => m.errors > 0).map((m) => `!!!!! RAW BASELINE ERRORS: ${m.id}: ${m.errors} errors, first: ${m.firstError}`);
}
