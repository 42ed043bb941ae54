import { Query } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { EntryPage } from '../read/entry-page';

/** Every ledger entry about one key (by kid), across the vaults it has lived in, in seq order. */
export class KeyAccessHistoryQuery extends Query<EntryPage> {
  constructor(
    readonly caller: AuditCaller,
    readonly keyId: string,
    readonly first: number | null,
    readonly after: string | null,
  ) {
    super();
  }
}
