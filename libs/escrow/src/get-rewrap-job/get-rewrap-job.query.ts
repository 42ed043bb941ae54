import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { RewrapJobView } from '../model/rewrap-job-view';

/** A job with its progress (total, done, failed, rate, ETA) from Postgres. Permission: manageJobs on its source vault. */
export class GetRewrapJobQuery extends Query<RewrapJobView> {
  constructor(
    readonly caller: Caller,
    readonly id: string,
  ) {
    super();
  }
}
