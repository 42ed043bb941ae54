import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { Page } from '@keybridge/keys';
import { RewrapFailure } from '../model/rewrap-job';

/** Records a job could not move, with a typed reason, in record order. Permission: manageJobs on its source vault. */
export class ListRewrapFailuresQuery extends Query<Page<RewrapFailure>> {
  constructor(
    readonly caller: Caller,
    readonly jobId: string,
    /** false: also failures resolved by a later retry. */
    readonly openOnly: boolean,
    readonly first: number | null,
    readonly after: string | null,
  ) {
    super();
  }
}
