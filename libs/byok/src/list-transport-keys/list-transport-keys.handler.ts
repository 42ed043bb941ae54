import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { invalidArgument, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { authorizeAny } from '../access/vault-permissions';
import { TransportKeyView, transportKeyView } from '../model/transport-key-view';
import { AttestationKeyRepository } from '../persistence/attestation-key.repository';
import { TransportKeyRepository } from '../persistence/transport-key.repository';
import { ListTransportKeysQuery } from './list-transport-keys.query';

export const MAX_TRANSPORT_KEYS_LISTED = 100;

@QueryHandler(ListTransportKeysQuery)
export class ListTransportKeysHandler implements IQueryHandler<ListTransportKeysQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly transportKeys: TransportKeyRepository,
    private readonly attestationKeys: AttestationKeyRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, includeInactive, first }: ListTransportKeysQuery): Promise<TransportKeyView[]> {
    const meta: AuditMeta = { ctx: caller, operation: 'listTransportKeys', vault: vaultName };
    return this.audit.run(meta, async () => {
      const vault = await authorizeAny(this.access, caller.principal, vaultName, [Permission.manageTransportKeys, Permission.import]);
      const limit = first ?? 25;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TRANSPORT_KEYS_LISTED) throw invalidArgument(`first must be 1-${MAX_TRANSPORT_KEYS_LISTED}`, 'first');
      const now = this.clock.now();
      const keys = await this.transportKeys.list(vault.id, includeInactive, now, limit);
      const attestationKey = await this.attestationKeys.findByVault(vault.id);
      if (keys.length > 0 && !attestationKey) throw new Error('transport keys without an attestation key');
      return attestationKey ? keys.map((key) => transportKeyView(key, attestationKey, now)) : [];
    });
  }
}
