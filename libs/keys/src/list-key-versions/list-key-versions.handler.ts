import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyLocator } from '../access/key-locator';
import { VaultAccess } from '../access/vault-access';
import { invalidArgument } from '../keys.errors';
import { KeyView, keyView } from '../model/key-view';
import { decodeCursor, Page, pageSize, toPage } from '../model/page';
import { KeyRepository } from '../persistence/key.repository';
import { ListKeyVersionsQuery } from './list-key-versions.query';

@QueryHandler(ListKeyVersionsQuery)
export class ListKeyVersionsHandler implements IQueryHandler<ListKeyVersionsQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly keys: KeyRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, name, first, after }: ListKeyVersionsQuery): Promise<Page<KeyView>> {
    const meta: AuditMeta = { ctx: caller, operation: 'listKeyVersions', vault: vaultName, keyName: name };
    return this.audit.run(meta, async () => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.list);
      const key = await this.locator.key(vault, name);
      const limit = pageSize(first);
      const position = decodeCursor(after);
      const before = position === null ? null : Number(position);
      if (before !== null && !Number.isInteger(before)) throw invalidArgument('after is not a cursor from this API', 'after');
      const versions = await this.keys.versions(key.id, before, limit + 1);
      return toPage(
        versions.map((v) => keyView(key, v)),
        limit,
        (v) => v.version,
      );
    });
  }
}
