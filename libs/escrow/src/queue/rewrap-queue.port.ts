/** Wakes workers for a job. Redis is the queue, not the source of truth: a lost kick is repeated by the reconciler. */
export const REWRAP_QUEUE = Symbol('REWRAP_QUEUE');

export interface RewrapSlotJob {
  jobId: string;
  generation: number;
  slot: number;
}

export interface RewrapQueue {
  readonly name: string;
  /** Enqueues `slots` slot jobs with deterministic ids (job, generation, slot): enqueueing twice is a no-op. */
  kick(jobId: string, generation: number, slots: number): Promise<void>;
}

export function slotJobId(s: RewrapSlotJob): string {
  return `rewrap-${s.jobId}-${s.generation}-${s.slot}`;
}
