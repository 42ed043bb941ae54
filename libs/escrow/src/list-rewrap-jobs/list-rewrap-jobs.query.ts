import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { Page } from '@keybridge/keys';
import { RewrapJobStatus } from '../model/rewrap-job';
import { RewrapJobView } from '../model/rewrap-job-view';

/** Jobs moving records from or to a vault, newest first. Permission: manageJobs on that vault. */
export class ListRewrapJobsQuery extends Query<Page<RewrapJobView>> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly status: RewrapJobStatus | null,
    readonly first: number | null,
    readonly after: string | null,
  ) {
    super();
  }
}
