import { Labels } from './escrow-record';
import { EscrowAlgorithm } from './wrapping';

export type RewrapJobStatus = 'running' | 'paused' | 'cancelled' | 'completed' | 'failed';

export const FINISHED_STATUSES: ReadonlySet<RewrapJobStatus> = new Set(['cancelled', 'completed']);

export interface RewrapSelector {
  vaultId: string;
  vault: string;
  keyId: string;
  key: string;
  /** The versions records are moved from (for allBelowVersion: every existing version below it). */
  fromVersions: number[];
  belowVersion: number | null;
  owner: string | null;
  labels: Labels | null;
}

export interface RewrapTarget {
  vaultId: string;
  vault: string;
  keyId: string;
  key: string;
  version: number;
  algorithm: EscrowAlgorithm;
}

export interface RewrapJob {
  id: string;
  status: RewrapJobStatus;
  queue: string;
  createdBy: string;
  source: RewrapSelector;
  target: RewrapTarget;
  batchSize: number;
  maxRatePerSecond: number | null;
  slots: number;
  /** Records deposited after the job started (seq above this) are not part of it. */
  snapshotSeq: number;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  activeMs: number;
  runningSince: Date | null;
  errorCode: string | null;
  kickGeneration: number;
  /** W3C traceparent of the request that started the job: worker spans link to it. */
  traceParent: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface RewrapProgress {
  total: number;
  done: number;
  failed: number;
  skipped: number;
  remaining: number;
  /** Records handled per second of running time (paused time excluded). */
  ratePerSecond: number;
  etaSeconds: number | null;
}

export function progressOf(job: RewrapJob, now: Date): RewrapProgress {
  const handled = job.done + job.failed + job.skipped;
  const remaining = Math.max(0, job.total - handled);
  const activeSeconds = (job.activeMs + (job.runningSince ? Math.max(0, now.getTime() - job.runningSince.getTime()) : 0)) / 1000;
  const rate = activeSeconds > 0 ? handled / activeSeconds : 0;
  const eta = job.status === 'running' && rate > 0 ? remaining / rate : null;
  return {
    total: job.total,
    done: job.done,
    failed: job.failed,
    skipped: job.skipped,
    remaining,
    ratePerSecond: Math.round(rate * 10) / 10,
    etaSeconds: eta === null ? null : Math.round(eta * 10) / 10,
  };
}

/** Why one record could not be moved (it stays under its old wrapping, releasable as before). */
export enum RewrapFailureReason {
  /** The wrapped bytes do not unwrap under the record's key version (corrupt or deposited under another key). */
  UNWRAP_FAILED = 'UNWRAP_FAILED',
  /** The HSM object of a key version is gone. */
  KEY_OBJECT_MISSING = 'KEY_OBJECT_MISSING',
  /** The HSM object's attributes forbid unwrapping or wrapping. */
  OPERATION_NOT_PERMITTED = 'OPERATION_NOT_PERMITTED',
  /** The pool's module cannot do the record's algorithm. */
  UNSUPPORTED_BY_HSM = 'UNSUPPORTED_BY_HSM',
  /** The record carries an algorithm re-wrap cannot read. */
  UNSUPPORTED_ALGORITHM = 'UNSUPPORTED_ALGORITHM',
  HSM_ERROR = 'HSM_ERROR',
}

export interface RewrapFailure {
  jobId: string;
  recordId: string;
  recordSeq: number;
  reason: RewrapFailureReason;
  message: string;
  attempts: number;
  failedAt: Date;
  resolvedAt: Date | null;
}

export interface ClaimedRange {
  rangeNo: number;
  kind: 'seq' | 'retry';
  loSeq: number;
  hiSeq: number;
  cursorSeq: number;
  token: string;
}
