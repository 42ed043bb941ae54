import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyLocator } from '../access/key-locator';
import { VaultAccess } from '../access/vault-access';
import { KeyView, keyView } from '../model/key-view';
import { decodeCursor, Page, pageSize, toPage } from '../model/page';
import { KeyRepository } from '../persistence/key.repository';
import { ListKeysQuery } from './list-keys.query';

@QueryHandler(ListKeysQuery)
export class ListKeysHandler implements IQueryHandler<ListKeysQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    private readonly locator: KeyLocator,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, deleted, first, after }: ListKeysQuery): Promise<Page<KeyView>> {
    const meta: AuditMeta = { ctx: caller, operation: deleted ? 'listDeletedKeys' : 'listKeys', vault: vaultName };
    return this.audit.run(meta, async () => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.list);
      const limit = pageSize(first);
      const rows = await this.keys.page(vault.id, deleted ? 'deleted' : 'live', decodeCursor(after), limit + 1);
      const views = await Promise.all(rows.map(async (key) => keyView(key, await this.locator.version(key, 'latest'))));
      return toPage(views, limit, (v) => v.name);
    });
  }
}
