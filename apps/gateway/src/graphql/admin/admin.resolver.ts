import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Caller, CreateApiTokenCommand, CreatePrincipalCommand, GlobalPermission, Permission, RevokeApiTokenCommand } from '@keybridge/auth';
import { CreateVaultCommand, ListVaultsQuery, SetGrantCommand } from '@keybridge/keys';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { ApiTokenModel, GrantModel, PrincipalModel, VaultModel } from './admin.model';

/** Principals, tokens, vaults and grants. Mutations need the admin permission. */
@Resolver()
export class AdminResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Query(() => PrincipalModel, { description: 'The authenticated principal' })
  me(@CurrentCaller() caller: Caller): PrincipalModel {
    return caller.principal;
  }

  @Query(() => [VaultModel], { description: 'Vaults the caller holds a grant on (admins: all)' })
  vaults(@CurrentCaller() caller: Caller): Promise<VaultModel[]> {
    return this.queries.execute(new ListVaultsQuery(caller));
  }

  @Mutation(() => VaultModel, { description: 'A vault bound to a configured HSM pool. Permission: admin.' })
  createVault(@CurrentCaller() caller: Caller, @Args('name') name: string, @Args('pool') pool: string): Promise<VaultModel> {
    return this.commands.execute(new CreateVaultCommand(caller, name, pool));
  }

  @Mutation(() => PrincipalModel, { description: 'Permission: admin.' })
  createPrincipal(
    @CurrentCaller() caller: Caller,
    @Args('name') name: string,
    @Args('globalPermissions', { type: () => [GlobalPermission], nullable: true }) globalPermissions: GlobalPermission[] | null,
    @Args('jwtSubject', { type: () => String, nullable: true, description: 'JWT sub that authenticates as this principal' })
    jwtSubject: string | null,
  ): Promise<PrincipalModel> {
    return this.commands.execute(new CreatePrincipalCommand(caller, name, globalPermissions ?? [], jwtSubject));
  }

  @Mutation(() => ApiTokenModel, { description: 'Issues an API token for a principal. Permission: admin.' })
  createApiToken(
    @CurrentCaller() caller: Caller,
    @Args('principal') principal: string,
    @Args('label', { type: () => String, nullable: true }) label: string | null,
    @Args('expiresAt', { type: () => Date, nullable: true }) expiresAt: Date | null,
  ): Promise<ApiTokenModel> {
    return this.commands.execute(new CreateApiTokenCommand(caller, principal, label ?? '', expiresAt));
  }

  @Mutation(() => Boolean, { description: 'Permission: admin.' })
  revokeApiToken(@CurrentCaller() caller: Caller, @Args('id') id: string): Promise<boolean> {
    return this.commands.execute(new RevokeApiTokenCommand(caller, id));
  }

  @Mutation(() => GrantModel, { description: 'Replaces a principal\'s permissions on a vault (empty list removes the grant). Permission: admin.' })
  async setGrant(
    @CurrentCaller() caller: Caller,
    @Args('principal') principal: string,
    @Args('vault') vault: string,
    @Args('permissions', { type: () => [Permission] }) permissions: Permission[],
  ): Promise<GrantModel> {
    const granted = await this.commands.execute(new SetGrantCommand(caller, principal, vault, permissions));
    return { principal, vault, permissions: granted };
  }
}
