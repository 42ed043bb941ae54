import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { decodeCursor, invalidArgument, Page, pageSize, toPage, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { jobView, RewrapJobView } from '../model/rewrap-job-view';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { ListRewrapJobsQuery } from './list-rewrap-jobs.query';

const STATUSES = new Set(['running', 'paused', 'cancelled', 'completed', 'failed']);

@QueryHandler(ListRewrapJobsQuery)
export class ListRewrapJobsHandler implements IQueryHandler<ListRewrapJobsQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly jobs: RewrapJobRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, status, first, after }: ListRewrapJobsQuery): Promise<Page<RewrapJobView>> {
    const meta: AuditMeta = { ctx: caller, operation: 'listRewrapJobs', vault: vaultName };
    return this.audit.run(meta, async () => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.manageJobs);
      if (status !== null && !STATUSES.has(status)) throw invalidArgument('unknown status', 'status');
      const limit = pageSize(first);
      const cursor = decodeCursor(after);
      const position = cursor === null ? null : /^(\S+) ([0-9a-f-]{36})$/.exec(cursor);
      if (cursor !== null && !position) throw invalidArgument('after is not a cursor from this API', 'after');
      const rows = await this.jobs.page([vault.id], status, position ? { createdAt: position[1], id: position[2] } : null, limit + 1);
      const now = this.clock.now();
      return toPage(rows.map((j) => jobView(j, now)), limit, (v) => `${v.job.createdAt.toISOString()} ${v.job.id}`);
    });
  }
}
