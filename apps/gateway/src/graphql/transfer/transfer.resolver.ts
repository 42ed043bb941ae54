import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import {
  ActivateSecurityDomainCommand,
  AddVaultToSecurityDomainCommand,
  BackupKeyCommand,
  CreateSecurityDomainCommand,
  GetVaultMigrationQuery,
  ListVaultMigrationsQuery,
  StartVaultMigrationCommand,
  ListSecurityDomainsQuery,
  RestoreKeyCommand,
  TransferKeyCommand,
} from '@keybridge/transfer';
import { KeyModel } from '../keys/key.model';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { ActivateSecurityDomainInput, CreateSecurityDomainInput, StartVaultMigrationInput, TransferKeyInput } from './transfer.input';
import { CreatedSecurityDomainModel, KeyBackupModel, SecurityDomainModel, TransferKeyResultModel, VaultMigrationModel } from './transfer.model';

/** Cross-vault transfer HSM to HSM, security domains with custodian quorum, backup and restore. */
@Resolver()
export class TransferResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Mutation(() => TransferKeyResultModel, {
    description: 'Moves all (or the given) versions of an exportable key into another vault, HSM to HSM, verified before it returns. Permissions: transfer on the source, import on the target.',
  })
  async transferKey(@CurrentCaller() caller: Caller, @Args('input') input: TransferKeyInput): Promise<TransferKeyResultModel> {
    return TransferKeyResultModel.from(await this.commands.execute(new TransferKeyCommand(caller, input)));
  }

  @Mutation(() => CreatedSecurityDomainModel, {
    description: 'Creates a security domain: its key in the pool, the recovery secret split M-of-N and encrypted to each custodian. Admin.',
  })
  async createSecurityDomain(@CurrentCaller() caller: Caller, @Args('input') input: CreateSecurityDomainInput): Promise<CreatedSecurityDomainModel> {
    return CreatedSecurityDomainModel.from(await this.commands.execute(new CreateSecurityDomainCommand(caller, input)));
  }

  @Mutation(() => SecurityDomainModel, { description: 'Recovers the domain key into another pool from a quorum of decrypted custodian shares. Admin.' })
  async activateSecurityDomain(@CurrentCaller() caller: Caller, @Args('input') input: ActivateSecurityDomainInput): Promise<SecurityDomainModel> {
    return SecurityDomainModel.from(await this.commands.execute(new ActivateSecurityDomainCommand(caller, input)));
  }

  @Mutation(() => SecurityDomainModel, { description: 'Makes a vault a member of a security domain active on its pool. Admin.' })
  async addVaultToSecurityDomain(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('domain') domain: string): Promise<SecurityDomainModel> {
    return SecurityDomainModel.from(await this.commands.execute(new AddVaultToSecurityDomainCommand(caller, vault, domain)));
  }

  @Query(() => [SecurityDomainModel], { description: 'Security domains with their pools and vaults. Admin or auditRead.' })
  async securityDomains(@CurrentCaller() caller: Caller): Promise<SecurityDomainModel[]> {
    return (await this.queries.execute(new ListSecurityDomainsQuery(caller))).map((view) => SecurityDomainModel.from(view));
  }

  @Mutation(() => KeyBackupModel, { description: 'Backs up every version of an exportable key for the vault\'s security domain. Permission: backup.' })
  async backupKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('name') name: string): Promise<KeyBackupModel> {
    return KeyBackupModel.from(await this.commands.execute(new BackupKeyCommand(caller, vault, name)));
  }

  @Mutation(() => KeyModel, { description: 'Restores a backup into any vault of the same security domain (any pool, any vendor). Permission: restore.' })
  async restoreKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('blob') blob: string): Promise<KeyModel> {
    return KeyModel.from(await this.commands.execute(new RestoreKeyCommand(caller, vault, blob)));
  }

  @Mutation(() => VaultMigrationModel, {
    description: 'Queues the transfer of every exportable key of a vault into another (worker, resumable). Permissions: transfer and manageJobs on the source, import on the target.',
  })
  async startVaultMigration(@CurrentCaller() caller: Caller, @Args('input') input: StartVaultMigrationInput): Promise<VaultMigrationModel> {
    return VaultMigrationModel.from(await this.commands.execute(new StartVaultMigrationCommand(caller, input)));
  }

  @Query(() => VaultMigrationModel, { description: 'A vault migration with its progress and per-key outcome. Permission: get or manageJobs on either vault.' })
  async vaultMigration(@CurrentCaller() caller: Caller, @Args('id') id: string): Promise<VaultMigrationModel> {
    return VaultMigrationModel.from(await this.queries.execute(new GetVaultMigrationQuery(caller, id)));
  }

  @Query(() => [VaultMigrationModel], { description: 'Migrations from or into a vault, newest first. Permission: get or manageJobs.' })
  async vaultMigrations(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
  ): Promise<VaultMigrationModel[]> {
    return (await this.queries.execute(new ListVaultMigrationsQuery(caller, vault, first ?? null))).map((view) => VaultMigrationModel.from(view));
  }
}
