import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { GlobalPermission, requireGlobal } from '@keybridge/auth';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { AuditTrail } from '@keybridge/ledger';
import { invalidArgument, KeyError, KeyErrorCode } from '../keys.errors';
import { Vault } from '../model/key';
import { VaultRepository } from '../persistence/vault.repository';
import { CreateVaultCommand } from './create-vault.command';

const VAULT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

@CommandHandler(CreateVaultCommand)
export class CreateVaultHandler implements ICommandHandler<CreateVaultCommand> {
  constructor(
    private readonly vaults: VaultRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, name, pool }: CreateVaultCommand): Promise<Vault> {
    const meta = { ctx: caller, operation: 'createVault', vault: name.slice(0, 64), details: { pool: pool.slice(0, 64) } };
    return this.audit.runInTransaction(meta, async (manager) => {
      requireGlobal(caller, GlobalPermission.admin);
      if (!VAULT_NAME.test(name)) throw invalidArgument('vault names are 1-63 of a-z 0-9 and -, starting with a letter or digit', 'name');
      this.hsm.capabilities(pool); // POOL_NOT_FOUND for a pool that is not configured
      const vault = await this.vaults.insert(manager, name, pool);
      if (!vault) throw new KeyError(KeyErrorCode.VAULT_ALREADY_EXISTS, `vault ${name} already exists`);
      return vault;
    });
  }
}
