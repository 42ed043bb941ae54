import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { GlobalPermission, requireGlobal } from '@keybridge/auth';
import { invalidArgument, VaultRepository, vaultNotFound } from '@keybridge/keys';
import { AuditTrail } from '@keybridge/ledger';
import { SecurityDomainRepository } from '../security-domain/security-domain.repository';
import { SecurityDomainView, securityDomainView } from '../security-domain/security-domain.view';
import { TransferError, TransferErrorCode } from '../transfer.errors';
import { AddVaultToSecurityDomainCommand } from './add-vault-to-security-domain.command';

@CommandHandler(AddVaultToSecurityDomainCommand)
export class AddVaultToSecurityDomainHandler implements ICommandHandler<AddVaultToSecurityDomainCommand> {
  constructor(
    private readonly vaults: VaultRepository,
    private readonly domains: SecurityDomainRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, domain: domainName }: AddVaultToSecurityDomainCommand): Promise<SecurityDomainView> {
    const meta = { ctx: caller, operation: 'addVaultToSecurityDomain', vault: vaultName.slice(0, 64), details: { domain: domainName.slice(0, 64) } };
    return this.audit.runCommitting(meta, async (commit) => {
      requireGlobal(caller, GlobalPermission.admin);
      const vault = await this.vaults.findByName(vaultName);
      if (!vault) throw vaultNotFound(vaultName);
      return commit(async (manager) => {
        const domain = await this.domains.findByName(domainName, manager);
        if (!domain) throw new TransferError(TransferErrorCode.SECURITY_DOMAIN_NOT_FOUND, `security domain ${domainName} not found`, { field: 'domain' });
        const pools = await this.domains.pools(domain.id, manager);
        if (!pools.some((p) => p.pool === vault.pool)) {
          throw new TransferError(
            TransferErrorCode.SECURITY_DOMAIN_NOT_ACTIVE,
            `security domain ${domain.name} is not active on pool ${vault.pool}: activate it there with a quorum of custodian shares first`,
            { field: 'domain' },
          );
        }
        const current = await this.domains.domainOfVault(vault.id, manager);
        if (current && current.id !== domain.id) throw invalidArgument(`vault ${vault.name} belongs to security domain ${current.name} already`, 'vault');
        if (!current) await this.domains.addVault(manager, vault.id, domain.id);
        return securityDomainView(domain, pools, await this.domains.vaultNames(domain.id, manager));
      });
    });
  }
}
