import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { RewrapJobAccess } from '../access/rewrap-job-access';
import { jobView, RewrapJobView } from '../model/rewrap-job-view';
import { GetRewrapJobQuery } from './get-rewrap-job.query';

@QueryHandler(GetRewrapJobQuery)
export class GetRewrapJobHandler implements IQueryHandler<GetRewrapJobQuery> {
  constructor(
    private readonly access: RewrapJobAccess,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, id }: GetRewrapJobQuery): Promise<RewrapJobView> {
    const meta: AuditMeta = { ctx: caller, operation: 'getRewrapJob', vault: null, details: { jobId: id } };
    return this.audit.run(meta, async () => jobView(await this.access.open(caller, id, meta), this.clock.now()));
  }
}
