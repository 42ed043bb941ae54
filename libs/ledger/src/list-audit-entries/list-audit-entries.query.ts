import { Query } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { AuditFilterInput } from '../read/audit-filter';
import { EntryPage } from '../read/entry-page';

/** Ledger entries matching a filter, in seq order, as a keyset (Relay) page. */
export class ListAuditEntriesQuery extends Query<EntryPage> {
  constructor(
    readonly caller: AuditCaller,
    readonly filter: AuditFilterInput | null,
    readonly first: number | null,
    readonly after: string | null,
  ) {
    super();
  }
}
