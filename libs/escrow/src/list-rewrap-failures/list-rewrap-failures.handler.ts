import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { decodeCursor, invalidArgument, Page, pageSize, toPage } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { RewrapJobAccess } from '../access/rewrap-job-access';
import { RewrapFailure } from '../model/rewrap-job';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { ListRewrapFailuresQuery } from './list-rewrap-failures.query';

@QueryHandler(ListRewrapFailuresQuery)
export class ListRewrapFailuresHandler implements IQueryHandler<ListRewrapFailuresQuery> {
  constructor(
    private readonly access: RewrapJobAccess,
    private readonly jobs: RewrapJobRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, jobId, openOnly, first, after }: ListRewrapFailuresQuery): Promise<Page<RewrapFailure>> {
    const meta: AuditMeta = { ctx: caller, operation: 'listRewrapFailures', vault: null, details: { jobId } };
    return this.audit.run(meta, async () => {
      const job = await this.access.open(caller, jobId, meta);
      const limit = pageSize(first);
      const cursor = decodeCursor(after);
      const afterSeq = cursor === null ? null : Number(cursor);
      if (afterSeq !== null && !Number.isSafeInteger(afterSeq)) throw invalidArgument('after is not a cursor from this API', 'after');
      return toPage(await this.jobs.failures(job.id, openOnly, afterSeq, limit + 1), limit, (f) => f.recordSeq);
    });
  }
}
