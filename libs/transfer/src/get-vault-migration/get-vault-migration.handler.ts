import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Caller, Permission } from '@keybridge/auth';
import { invalidArgument, Vault, VaultAccess } from '@keybridge/keys';
import { MigrationJobRepository } from '../migration/migration-job.repository';
import { VaultMigrationView, vaultMigrationView } from '../migration/migration-job.view';
import { TransferError, TransferErrorCode } from '../transfer.errors';
import { GetVaultMigrationQuery, ListVaultMigrationsQuery } from './get-vault-migration.query';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Reads need get or manageJobs on the vault: either grants the right to see what moves in or out of it. */
async function authorizeRead(access: VaultAccess, caller: Caller, vault: string): Promise<Vault> {
  try {
    return await access.authorize(caller.principal, vault, Permission.manageJobs);
  } catch {
    return access.authorize(caller.principal, vault, Permission.get);
  }
}

@QueryHandler(GetVaultMigrationQuery)
export class GetVaultMigrationHandler implements IQueryHandler<GetVaultMigrationQuery> {
  constructor(
    private readonly jobs: MigrationJobRepository,
    private readonly access: VaultAccess,
  ) {}

  async execute({ caller, id }: GetVaultMigrationQuery): Promise<VaultMigrationView> {
    const notFound = new TransferError(TransferErrorCode.MIGRATION_JOB_NOT_FOUND, `vault migration ${id} not found`, { field: 'id' });
    if (!UUID.test(id)) throw notFound;
    const job = await this.jobs.find(id);
    if (!job) throw notFound;
    try {
      await authorizeRead(this.access, caller, job.sourceVault);
    } catch {
      await authorizeRead(this.access, caller, job.targetVault).catch(() => Promise.reject(notFound));
    }
    return vaultMigrationView(job, await this.jobs.items(id));
  }
}

@QueryHandler(ListVaultMigrationsQuery)
export class ListVaultMigrationsHandler implements IQueryHandler<ListVaultMigrationsQuery> {
  constructor(
    private readonly jobs: MigrationJobRepository,
    private readonly access: VaultAccess,
  ) {}

  async execute({ caller, vault, first }: ListVaultMigrationsQuery): Promise<VaultMigrationView[]> {
    if (first !== null && (!Number.isInteger(first) || first < 1 || first > 100)) throw invalidArgument('first must be 1 to 100', 'first');
    const found = await authorizeRead(this.access, caller, vault);
    return (await this.jobs.listForVault(found.id, first ?? 20)).map((job) => vaultMigrationView(job));
  }
}
