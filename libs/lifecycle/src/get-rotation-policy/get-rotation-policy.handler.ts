import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { KeyLocator, VaultAccess } from '@keybridge/keys';
import { AuditTrail } from '@keybridge/ledger';
import { RotationPolicy } from '../policy/rotation-policy';
import { RotationPolicyRepository } from '../policy/rotation-policy.repository';
import { GetRotationPolicyQuery } from './get-rotation-policy.query';

@QueryHandler(GetRotationPolicyQuery)
export class GetRotationPolicyHandler implements IQueryHandler<GetRotationPolicyQuery> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly policies: RotationPolicyRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, name }: GetRotationPolicyQuery): Promise<RotationPolicy | null> {
    return this.audit.run({ ctx: caller, operation: 'getRotationPolicy', vault: vaultName, keyName: name.slice(0, 128) }, async () => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.get);
      const key = await this.locator.key(vault, name);
      const stored = await this.policies.find(key.id);
      return stored ? { expiryTime: stored.expiryTime, lifetimeActions: stored.lifetimeActions, rewrapEscrow: stored.rewrapEscrow } : null;
    });
  }
}
