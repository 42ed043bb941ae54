import { EscrowError, EscrowErrorCode } from '../escrow.errors';
import { FINISHED_STATUSES, RewrapJob } from './rewrap-job';

/** REWRAP_JOB_FINISHED for a completed or cancelled job, else undefined. */
export function finished(job: RewrapJob): EscrowError | undefined {
  return FINISHED_STATUSES.has(job.status) ? new EscrowError(EscrowErrorCode.REWRAP_JOB_FINISHED, `the job is ${job.status}`, { status: job.status }) : undefined;
}

export function stateConflict(job: RewrapJob, action: string): EscrowError {
  return new EscrowError(EscrowErrorCode.REWRAP_JOB_STATE_CONFLICT, `cannot ${action} a ${job.status} job`, { status: job.status });
}
