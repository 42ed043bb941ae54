import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import {
  CreateTransportKeyCommand,
  GetAttestationKeyQuery,
  GetTransportKeyQuery,
  ImportKeyCommand,
  ListTransportKeysQuery,
  RevokeTransportKeyCommand,
} from '@keybridge/byok';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { KeyModel } from '../keys/key.model';
import { CreateTransportKeyInput, ImportKeyInput } from './byok.input';
import { AttestationKeyModel, TransportKeyModel } from './byok.model';

/** BYOK: transport keys with their attestation, and importKey. */
@Resolver()
export class ByokResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Mutation(() => TransportKeyModel, { description: 'RSA key-exchange key in the vault\'s pool, attested. Permission: manageTransportKeys.' })
  async createTransportKey(@CurrentCaller() caller: Caller, @Args('input') input: CreateTransportKeyInput): Promise<TransportKeyModel> {
    return TransportKeyModel.from(await this.commands.execute(new CreateTransportKeyCommand(caller, input)));
  }

  @Mutation(() => TransportKeyModel, { description: 'Refused at import from now on; its HSM object is destroyed by the cleanup job. Permission: manageTransportKeys.' })
  async revokeTransportKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('kid') kid: string): Promise<TransportKeyModel> {
    return TransportKeyModel.from(await this.commands.execute(new RevokeTransportKeyCommand(caller, vault, kid)));
  }

  @Query(() => TransportKeyModel, { description: 'Permission: manageTransportKeys or import.' })
  async transportKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('kid') kid: string): Promise<TransportKeyModel> {
    return TransportKeyModel.from(await this.queries.execute(new GetTransportKeyQuery(caller, vault, kid)));
  }

  @Query(() => [TransportKeyModel], { description: 'Newest first; only usable ones unless includeInactive. Permission: manageTransportKeys or import.' })
  async transportKeys(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('includeInactive', { type: () => Boolean, nullable: true }) includeInactive: boolean | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
  ): Promise<TransportKeyModel[]> {
    const views = await this.queries.execute(new ListTransportKeysQuery(caller, vault, includeInactive ?? false, first));
    return views.map((view) => TransportKeyModel.from(view));
  }

  @Query(() => AttestationKeyModel, { nullable: true, description: 'The vault\'s published attestation key (null before its first transport key). Permission: manageTransportKeys, import or get.' })
  async attestationKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string): Promise<AttestationKeyModel | null> {
    const view = await this.queries.execute(new GetAttestationKeyQuery(caller, vault));
    return view ? AttestationKeyModel.from(view) : null;
  }

  @Mutation(() => KeyModel, { description: 'BYOK import (Azure .byok or raw CKM_RSA_AES_KEY_WRAP), unwrapped inside the HSM. Permission: import.' })
  async importKey(@CurrentCaller() caller: Caller, @Args('input') input: ImportKeyInput): Promise<KeyModel> {
    return KeyModel.from(await this.commands.execute(new ImportKeyCommand(caller, input)));
  }
}
