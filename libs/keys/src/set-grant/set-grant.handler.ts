import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuthError, AuthErrorCode, GlobalPermission, GrantRepository, Permission, PrincipalRepository, requireGlobal } from '@keybridge/auth';
import { AuditTrail } from '@keybridge/ledger';
import { vaultNotFound } from '../access/vault-access';
import { invalidArgument } from '../keys.errors';
import { VaultRepository } from '../persistence/vault.repository';
import { SetGrantCommand } from './set-grant.command';

const KNOWN = new Set<string>(Object.values(Permission));

@CommandHandler(SetGrantCommand)
export class SetGrantHandler implements ICommandHandler<SetGrantCommand> {
  constructor(
    private readonly vaults: VaultRepository,
    private readonly principals: PrincipalRepository,
    private readonly grants: GrantRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, principalName, vault, permissions }: SetGrantCommand): Promise<Permission[]> {
    const meta = {
      ctx: caller,
      operation: 'setGrant',
      vault: vault.slice(0, 64),
      details: { principal: principalName.slice(0, 128), permissions: permissions.join(',').slice(0, 512) },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      requireGlobal(caller, GlobalPermission.admin);
      if (permissions.some((p) => !KNOWN.has(p))) throw invalidArgument('unknown permission', 'permissions');
      const target = await this.vaults.findByName(vault);
      if (!target) throw vaultNotFound(vault);
      return commit(async (manager) => {
        const principal = await this.principals.findByName(principalName, manager);
        if (!principal) throw new AuthError(AuthErrorCode.PRINCIPAL_NOT_FOUND, `principal ${principalName} not found`);
        await this.grants.set(manager, principal.id, target.id, permissions);
        return [...new Set(permissions)].sort();
      });
    });
  }
}
