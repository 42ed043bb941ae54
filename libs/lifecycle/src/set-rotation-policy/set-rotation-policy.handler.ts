import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { KeyLocator, VaultAccess } from '@keybridge/keys';
import { AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { parseRotationPolicy, RotationPolicy } from '../policy/rotation-policy';
import { RotationPolicyRepository } from '../policy/rotation-policy.repository';
import { SetRotationPolicyCommand } from './set-rotation-policy.command';

/**
 * The scheduler acts on the policy on behalf of whoever set it last: its automatic escrow re-wrap jobs run with that
 * principal's permissions, which are checked here first so a policy cannot promise what its author may not do.
 */
@CommandHandler(SetRotationPolicyCommand)
export class SetRotationPolicyHandler implements ICommandHandler<SetRotationPolicyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly policies: RotationPolicyRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, name, policy }: SetRotationPolicyCommand): Promise<RotationPolicy> {
    const details = {
      expiryTime: String(policy.expiryTime ?? '').slice(0, 32),
      actions: policy.lifetimeActions.map((a) => `${String(a.action).slice(0, 8)}:${String(a.timeAfterCreate ?? a.timeBeforeExpiry ?? '').slice(0, 32)}`).join(',').slice(0, 200),
      rewrapEscrow: policy.rewrapEscrow,
    };
    return this.audit.runCommitting({ ctx: caller, operation: 'setRotationPolicy', vault: vaultName, keyName: name.slice(0, 128), details }, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.update);
      const key = await this.locator.key(vault, name);
      parseRotationPolicy(policy);
      if (policy.rewrapEscrow) {
        await this.access.authorize(caller.principal, vaultName, Permission.manageJobs);
        await this.access.authorize(caller.principal, vaultName, Permission.escrowRelease);
      }
      return commit(async (manager) => {
        const stored = await this.policies.upsert(manager, key.id, policy, caller.principalId, this.clock.now());
        return { expiryTime: stored.expiryTime, lifetimeActions: stored.lifetimeActions, rewrapEscrow: stored.rewrapEscrow };
      });
    });
  }
}
