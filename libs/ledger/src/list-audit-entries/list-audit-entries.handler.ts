import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { AuditEntryRepository } from '../read/audit-entry.repository';
import { parseAuditFilter } from '../read/audit-filter';
import { afterSeq, entryPageSize, EntryPage, toEntryPage } from '../read/entry-page';
import { ListAuditEntriesQuery } from './list-audit-entries.query';

@QueryHandler(ListAuditEntriesQuery)
export class ListAuditEntriesHandler implements IQueryHandler<ListAuditEntriesQuery> {
  constructor(
    private readonly entries: AuditEntryRepository,
    private readonly audit: AuditTrail,
    private readonly integrator: LedgerIntegrator,
  ) {}

  execute({ caller, filter, first, after }: ListAuditEntriesQuery): Promise<EntryPage> {
    const meta = { ctx: caller, operation: 'auditEntries', vault: null, params: { filter: JSON.stringify(filter ?? {}), after } };
    return this.audit.run(meta, async () => {
      requireAuditRead(caller);
      await this.integrator.settle();
      const parsed = parseAuditFilter(filter);
      const limit = entryPageSize(first);
      return toEntryPage(await this.entries.page(parsed, afterSeq(after), limit + 1), limit);
    });
  }
}
