import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { decodeCursor, invalidArgument, KeyLocator, Page, pageSize, parseVersion, toPage, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { checkLabels, EscrowRecord } from '../model/escrow-record';
import { EscrowRecordRepository } from '../persistence/escrow-record.repository';
import { ListEscrowRecordsQuery } from './list-escrow-records.query';

@QueryHandler(ListEscrowRecordsQuery)
export class ListEscrowRecordsHandler implements IQueryHandler<ListEscrowRecordsQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly records: EscrowRecordRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, filter, first, after }: ListEscrowRecordsQuery): Promise<Page<EscrowRecord>> {
    const meta: AuditMeta = { ctx: caller, operation: 'listEscrowRecords', vault: filter.vault, keyName: filter.key ?? null };
    return this.audit.run(meta, async () => {
      const vault = await this.access.authorize(caller.principal, filter.vault, Permission.list);
      const limit = pageSize(first);
      const cursor = decodeCursor(after);
      const afterSeq = cursor === null ? null : Number(cursor);
      if (afterSeq !== null && !Number.isSafeInteger(afterSeq)) throw invalidArgument('after is not a cursor from this API', 'after');
      const version = filter.version ? parseVersion(filter.version) : null;
      if (version !== null && !filter.key) throw invalidArgument('version needs key', 'version');
      const key = filter.key ? await this.locator.key(vault, filter.key, 'any') : null;
      const rows = await this.records.page(
        {
          vaultId: vault.id,
          keyId: key?.id ?? null,
          keyVersion: version === 'latest' ? (key?.latestVersion ?? null) : version,
          owner: filter.owner ?? null,
          labels: filter.labels?.length ? checkLabels(filter.labels) : null,
        },
        afterSeq,
        limit + 1,
      );
      return toPage(rows, limit, (r) => r.seq);
    });
  }
}
