import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import {
  BatchItem,
  BatchResult,
  DecryptBatchCommand,
  EncryptBatchCommand,
  EncryptedItem,
  MAX_BATCH_ITEMS,
  SignBatchCommand,
  UnwrapKeysCommand,
  VerifyBatchCommand,
  WrapKeysCommand,
} from '@keybridge/keys';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { DomainErrorCode, graphqlErrorCode } from '../../errors/graphql-error-code';
import { KeyRefInput } from '../keys/key.input';
import { DecryptItemInput, EncryptItemInput, KeyBatchItemModel, KeyBatchResultModel, VerifyItemInput } from './batch-crypto.model';
import { ALGORITHMS } from './crypto.resolver';

const BATCH = `1 to ${MAX_BATCH_ITEMS} items against one key version; per-item results and typed errors (one bad item does not fail the others); each item is its own ledger entry, all committed before the result leaves`;

/** Batch forms of the cryptographic operations (same algorithms and permissions as the single ones). */
@Resolver()
export class BatchCryptoResolver {
  constructor(private readonly commands: CommandBus) {}

  @Mutation(() => KeyBatchResultModel, { description: `wrapKey for many values. ${ALGORITHMS.wrap}. ${BATCH}.` })
  async wrapKeys(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('values', { type: () => [String] }) values: string[],
  ): Promise<KeyBatchResultModel> {
    return toModel(await this.commands.execute(new WrapKeysCommand(caller, key, algorithm, values)), (value) => ({ value }));
  }

  @Mutation(() => KeyBatchResultModel, { description: `unwrapKey for many values. ${ALGORITHMS.wrap}. ${BATCH}.` })
  async unwrapKeys(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('values', { type: () => [String] }) values: string[],
  ): Promise<KeyBatchResultModel> {
    return toModel(await this.commands.execute(new UnwrapKeysCommand(caller, key, algorithm, values)), (value) => ({ value }));
  }

  @Mutation(() => KeyBatchResultModel, { description: `encrypt for many plaintexts. ${ALGORITHMS.encrypt}. ${BATCH}.` })
  async encryptBatch(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('items', { type: () => [EncryptItemInput] }) items: EncryptItemInput[],
  ): Promise<KeyBatchResultModel> {
    return toModel(await this.commands.execute(new EncryptBatchCommand(caller, key, algorithm, items)), (e: EncryptedItem) => e);
  }

  @Mutation(() => KeyBatchResultModel, { description: `decrypt for many ciphertexts. ${ALGORITHMS.encrypt}. ${BATCH}.` })
  async decryptBatch(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('items', { type: () => [DecryptItemInput] }) items: DecryptItemInput[],
  ): Promise<KeyBatchResultModel> {
    return toModel(await this.commands.execute(new DecryptBatchCommand(caller, key, algorithm, items)), (value) => ({ value }));
  }

  @Mutation(() => KeyBatchResultModel, { description: `sign for many digests. ${ALGORITHMS.sign}. ${BATCH}.` })
  async signBatch(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('digests', { type: () => [String] }) digests: string[],
  ): Promise<KeyBatchResultModel> {
    return toModel(await this.commands.execute(new SignBatchCommand(caller, key, algorithm, digests)), (value) => ({ value }));
  }

  @Mutation(() => KeyBatchResultModel, { description: `verify for many digests and signatures. ${ALGORITHMS.sign}. ${BATCH}.` })
  async verifyBatch(
    @CurrentCaller() caller: Caller,
    @Args('key') key: KeyRefInput,
    @Args('algorithm') algorithm: string,
    @Args('items', { type: () => [VerifyItemInput] }) items: VerifyItemInput[],
  ): Promise<KeyBatchResultModel> {
    return toModel(await this.commands.execute(new VerifyBatchCommand(caller, key, algorithm, items)), (valid) => ({ valid }));
  }
}

function toModel<T>(result: BatchResult<T>, fields: (result: T) => Partial<KeyBatchItemModel>): KeyBatchResultModel {
  return {
    kid: result.kid,
    algorithm: result.algorithm,
    items: result.items.map((item: BatchItem<T>) => ({
      index: item.index,
      value: null,
      iv: null,
      tag: null,
      valid: null,
      ...(item.result === null ? {} : fields(item.result)),
      error: item.error && { code: item.error.code === 'INTERNAL' ? 'INTERNAL' : graphqlErrorCode(item.error.code as DomainErrorCode), message: item.error.message },
    })),
  };
}
