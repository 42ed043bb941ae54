import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseAlgorithm, WRAP_ALGORITHMS } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { BatchResult, KeyBatchRunner } from '../batch/key-batch.runner';
import { binaryInput } from '../model/binary-input';
import { KeyOp } from '../model/key-op';
import { WrapKeysCommand } from './wrap-keys.command';

@CommandHandler(WrapKeysCommand)
export class WrapKeysHandler implements ICommandHandler<WrapKeysCommand> {
  constructor(
    private readonly batch: KeyBatchRunner,
    private readonly crypto: KeyCrypto,
  ) {}

  execute({ caller, target, algorithm, values }: WrapKeysCommand): Promise<BatchResult<string>> {
    return this.batch.run({
      caller,
      target,
      op: KeyOp.wrapKey,
      operation: 'wrapKey',
      algorithm,
      count: values.length,
      prepare: ({ key }) => parseAlgorithm(WRAP_ALGORITHMS, algorithm, key.spec),
      algorithmOf: (alg) => alg,
      item: async ({ usable }, alg, i) => (await this.crypto.wrap(usable, alg, binaryInput(values[i], 'value'))).toString('base64url'),
    });
  }
}
