import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  BindPrincipalCertificateCommand,
  Caller,
  CreateApiTokenCommand,
  CreatePrincipalCommand,
  GlobalPermission,
  Permission,
  RevokeApiTokenCommand,
  UnbindPrincipalCertificateCommand,
} from '@keybridge/auth';
import { CreateVaultCommand, ListVaultsQuery, SetGrantCommand } from '@keybridge/keys';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { ApiTokenModel, GrantModel, PrincipalCertificateBindingModel, PrincipalModel, VaultModel } from './admin.model';

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

  @Mutation(() => PrincipalCertificateBindingModel, {
    description: 'Binds a principal to a client certificate (subject and/or SHA-256), replacing any binding. Permission: admin.',
  })
  bindPrincipalCertificate(
    @CurrentCaller() caller: Caller,
    @Args('principal') principal: string,
    @Args('subject', { type: () => String, nullable: true }) subject: string | null,
    @Args('sha256', { type: () => String, nullable: true }) sha256: string | null,
    @Args('mode', { description: 'certificate (the certificate alone) or certificateAndToken' }) mode: string,
  ): Promise<PrincipalCertificateBindingModel> {
    return this.commands.execute(new BindPrincipalCertificateCommand(caller, principal, subject ?? null, sha256 ?? null, mode));
  }

  @Mutation(() => Boolean, { description: 'Removes a principal\'s certificate binding; true if it had one. Permission: admin.' })
  unbindPrincipalCertificate(@CurrentCaller() caller: Caller, @Args('principal') principal: string): Promise<boolean> {
    return this.commands.execute(new UnbindPrincipalCertificateCommand(caller, principal));
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
