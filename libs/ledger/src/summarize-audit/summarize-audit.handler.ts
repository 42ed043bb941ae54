import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { invalidLedgerArgument } from '../ledger.errors';
import { AuditEntryRepository, AuditGroupBy } from '../read/audit-entry.repository';
import { parseAuditFilter } from '../read/audit-filter';
import { AuditCount, SummarizeAuditQuery } from './summarize-audit.query';

const GROUPS: readonly AuditGroupBy[] = ['OPERATION', 'PRINCIPAL', 'KEY', 'OUTCOME', 'DAY'];
const MAX_GROUPS = 10_000;

@QueryHandler(SummarizeAuditQuery)
export class SummarizeAuditHandler implements IQueryHandler<SummarizeAuditQuery> {
  constructor(
    private readonly entries: AuditEntryRepository,
    private readonly audit: AuditTrail,
    private readonly integrator: LedgerIntegrator,
  ) {}

  execute({ caller, groupBy, filter }: SummarizeAuditQuery): Promise<AuditCount[]> {
    const meta = { ctx: caller, operation: 'auditSummary', vault: null, params: { groupBy, filter: JSON.stringify(filter ?? {}) } };
    return this.audit.run(meta, async () => {
      requireAuditRead(caller);
      await this.integrator.settle();
      if (!GROUPS.includes(groupBy)) throw invalidLedgerArgument(`groupBy is one of ${GROUPS.join(', ')}`, 'groupBy');
      return this.entries.summary(groupBy, parseAuditFilter(filter), MAX_GROUPS);
    });
  }
}
