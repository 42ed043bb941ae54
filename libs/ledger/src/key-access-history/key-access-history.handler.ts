import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { AuditEntryRepository } from '../read/audit-entry.repository';
import { parseKeyId } from '../read/audit-filter';
import { afterSeq, entryPageSize, EntryPage, toEntryPage } from '../read/entry-page';
import { KeyAccessHistoryQuery } from './key-access-history.query';
import { KeyLineage } from './key-lineage';

@QueryHandler(KeyAccessHistoryQuery)
export class KeyAccessHistoryHandler implements IQueryHandler<KeyAccessHistoryQuery> {
  constructor(
    private readonly entries: AuditEntryRepository,
    private readonly lineage: KeyLineage,
    private readonly audit: AuditTrail,
    private readonly integrator: LedgerIntegrator,
  ) {}

  execute({ caller, keyId, first, after }: KeyAccessHistoryQuery): Promise<EntryPage> {
    const meta = { ctx: caller, operation: 'keyAccessHistory', vault: null, details: { keyId: keyId.slice(0, 256) } };
    return this.audit.run(meta, async () => {
      requireAuditRead(caller);
      await this.integrator.settle();
      const { vault, keyName } = parseKeyId(keyId, 'keyId');
      const limit = entryPageSize(first);
      const keys = await this.lineage.segments(vault, keyName);
      return toEntryPage(await this.entries.page({ keys }, afterSeq(after), limit + 1), limit);
    });
  }
}
