import { progressOf, RewrapJob, RewrapProgress } from './rewrap-job';

export interface RewrapJobView {
  job: RewrapJob;
  progress: RewrapProgress;
}

export function jobView(job: RewrapJob, now: Date): RewrapJobView {
  return { job, progress: progressOf(job, now) };
}
