import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { authorizeAny } from '../access/vault-permissions';
import { AttestationKeyView, attestationKeyView } from '../model/transport-key-view';
import { AttestationKeyRepository } from '../persistence/attestation-key.repository';
import { GetAttestationKeyQuery } from './get-attestation-key.query';

@QueryHandler(GetAttestationKeyQuery)
export class GetAttestationKeyHandler implements IQueryHandler<GetAttestationKeyQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly attestationKeys: AttestationKeyRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName }: GetAttestationKeyQuery): Promise<AttestationKeyView | null> {
    const meta: AuditMeta = { ctx: caller, operation: 'getAttestationKey', vault: vaultName };
    return this.audit.run(meta, async () => {
      const vault = await authorizeAny(this.access, caller.principal, vaultName, [Permission.manageTransportKeys, Permission.import, Permission.get]);
      const key = await this.attestationKeys.findByVault(vault.id);
      return key ? attestationKeyView(key) : null;
    });
  }
}
