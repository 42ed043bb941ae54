import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import {
  CreateKeyCommand,
  DeleteKeyCommand,
  GetKeyQuery,
  ListKeysQuery,
  ListKeyVersionsQuery,
  PurgeKeyCommand,
  RecoverKeyCommand,
  RotateKeyCommand,
  UpdateKeyCommand,
  SetMinDecryptVersionCommand,
} from '@keybridge/keys';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { keyConnection } from './connection';
import { CreateKeyInput, UpdateKeyInput } from './key.input';
import { KeyConnectionModel, KeyModel } from './key.model';

@Resolver(() => KeyModel)
export class KeysResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Query(() => KeyModel, { description: 'A key version (default latest) with its public JWK. Permission: get.' })
  async key(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('name') name: string,
    @Args('version', { type: () => String, nullable: true }) version: string | null,
  ): Promise<KeyModel> {
    return KeyModel.from(await this.queries.execute(new GetKeyQuery(caller, vault, name, version)));
  }

  @Query(() => KeyConnectionModel, { description: 'Live keys of a vault by name (latest versions). Permission: list.' })
  async keys(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<KeyConnectionModel> {
    return keyConnection(await this.queries.execute(new ListKeysQuery(caller, vault, false, first, after)));
  }

  @Query(() => KeyConnectionModel, { description: 'Soft-deleted keys of a vault. Permission: list.' })
  async deletedKeys(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<KeyConnectionModel> {
    return keyConnection(await this.queries.execute(new ListKeysQuery(caller, vault, true, first, after)));
  }

  @Query(() => KeyConnectionModel, { description: 'Versions of a key, newest first. Permission: list.' })
  async keyVersions(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('name') name: string,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<KeyConnectionModel> {
    return keyConnection(await this.queries.execute(new ListKeyVersionsQuery(caller, vault, name, first, after)));
  }

  @Mutation(() => KeyModel, { description: 'Generates a key inside the vault\'s HSM pool. Permission: create.' })
  async createKey(@CurrentCaller() caller: Caller, @Args('input') input: CreateKeyInput): Promise<KeyModel> {
    return KeyModel.from(await this.commands.execute(new CreateKeyCommand(caller, input)));
  }

  @Mutation(() => KeyModel, { description: 'Attributes of a version, key_ops and tags of the key. Permission: update.' })
  async updateKey(@CurrentCaller() caller: Caller, @Args('input') input: UpdateKeyInput): Promise<KeyModel> {
    return KeyModel.from(await this.commands.execute(new UpdateKeyCommand(caller, input)));
  }

  @Mutation(() => KeyModel, { description: 'New version generated in the HSM. Permission: create.' })
  async rotateKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('name') name: string): Promise<KeyModel> {
    return KeyModel.from(await this.commands.execute(new RotateKeyCommand(caller, vault, name)));
  }

  @Mutation(() => KeyModel, { description: 'Soft delete (recoverable until purged). Permission: delete.' })
  async deleteKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('name') name: string): Promise<KeyModel> {
    return KeyModel.from(await this.commands.execute(new DeleteKeyCommand(caller, vault, name)));
  }

  @Mutation(() => KeyModel, { description: 'Undo a soft delete. Permission: recover.' })
  async recoverKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('name') name: string): Promise<KeyModel> {
    return KeyModel.from(await this.commands.execute(new RecoverKeyCommand(caller, vault, name)));
  }

  @Mutation(() => Boolean, { description: 'Destroys a soft-deleted key in the HSM for good. Permission: purge.' })
  purgeKey(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('name') name: string): Promise<boolean> {
    return this.commands.execute(new PurgeKeyCommand(caller, vault, name));
  }

  @Mutation(() => KeyModel, {
    description: 'Versions below the floor refuse every operation. Raising needs update; lowering needs update, the global admin permission and a reason (recorded).',
  })
  async setMinDecryptVersion(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('name') name: string,
    @Args('version', { type: () => Int }) version: number,
    @Args('reason', { type: () => String, nullable: true }) reason: string | null,
  ): Promise<KeyModel> {
    return KeyModel.from(await this.commands.execute(new SetMinDecryptVersionCommand(caller, vault, name, version, reason ?? null)));
  }
}
