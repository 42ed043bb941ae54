import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { isAdmin } from '@keybridge/auth';
import { VaultAccess } from '../access/vault-access';
import { Vault } from '../model/key';
import { VaultRepository } from '../persistence/vault.repository';
import { ListVaultsQuery } from './list-vaults.query';

@QueryHandler(ListVaultsQuery)
export class ListVaultsHandler implements IQueryHandler<ListVaultsQuery> {
  constructor(
    private readonly vaults: VaultRepository,
    private readonly access: VaultAccess,
  ) {}

  async execute({ caller }: ListVaultsQuery): Promise<Vault[]> {
    if (isAdmin(caller.principal)) return this.vaults.list();
    return this.vaults.list(await this.access.visibleVaultIds(caller.principal));
  }
}
