import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { TransportKeyFinder } from '../access/transport-key-finder';
import { authorizeAny } from '../access/vault-permissions';
import { TransportKeyView, transportKeyView } from '../model/transport-key-view';
import { GetTransportKeyQuery } from './get-transport-key.query';

@QueryHandler(GetTransportKeyQuery)
export class GetTransportKeyHandler implements IQueryHandler<GetTransportKeyQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly finder: TransportKeyFinder,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, kid }: GetTransportKeyQuery): Promise<TransportKeyView> {
    const meta: AuditMeta = { ctx: caller, operation: 'getTransportKey', vault: vaultName, details: { transportKid: kid.slice(0, 200) } };
    return this.audit.run(meta, async () => {
      const vault = await authorizeAny(this.access, caller.principal, vaultName, [Permission.manageTransportKeys, Permission.import]);
      const key = await this.finder.find(vault, kid);
      return transportKeyView(key, await this.finder.attestationKeyOf(key), this.clock.now());
    });
  }
}
