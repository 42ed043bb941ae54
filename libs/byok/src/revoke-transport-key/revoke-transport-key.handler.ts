import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { TransportKeyFinder } from '../access/transport-key-finder';
import { TransportKeyView, transportKeyView } from '../model/transport-key-view';
import { TransportKeyRepository } from '../persistence/transport-key.repository';
import { RevokeTransportKeyCommand } from './revoke-transport-key.command';

@CommandHandler(RevokeTransportKeyCommand)
export class RevokeTransportKeyHandler implements ICommandHandler<RevokeTransportKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly finder: TransportKeyFinder,
    private readonly transportKeys: TransportKeyRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, kid }: RevokeTransportKeyCommand): Promise<TransportKeyView> {
    const meta: AuditMeta = { ctx: caller, operation: 'revokeTransportKey', vault: vaultName, details: { transportKid: kid.slice(0, 200) } };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.manageTransportKeys);
      return commit(async (manager) => {
        const key = await this.finder.find(vault, kid, manager, true);
        const now = this.clock.now();
        await this.transportKeys.revoke(manager, key.id, now);
        const revoked = await this.finder.find(vault, kid, manager);
        return transportKeyView(revoked, await this.finder.attestationKeyOf(revoked, manager), now);
      });
    });
  }
}
