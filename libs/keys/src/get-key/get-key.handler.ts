import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyLocator } from '../access/key-locator';
import { VaultAccess } from '../access/vault-access';
import { KeyView, keyView } from '../model/key-view';
import { parseVersion } from '../model/version-spec';
import { GetKeyQuery } from './get-key.query';

@QueryHandler(GetKeyQuery)
export class GetKeyHandler implements IQueryHandler<GetKeyQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, name, version }: GetKeyQuery): Promise<KeyView> {
    const meta: AuditMeta = { ctx: caller, operation: 'getKey', vault: vaultName, keyName: name };
    return this.audit.run(meta, async () => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.get);
      const key = await this.locator.key(vault, name);
      const found = await this.locator.version(key, parseVersion(version));
      meta.keyVersion = found.version;
      return keyView(key, found);
    });
  }
}
