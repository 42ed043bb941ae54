import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseAlgorithm, WRAP_ALGORITHMS } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { BatchResult, KeyBatchRunner } from '../batch/key-batch.runner';
import { binaryInput } from '../model/binary-input';
import { KeyOp } from '../model/key-op';
import { UnwrapKeysCommand } from './unwrap-keys.command';

@CommandHandler(UnwrapKeysCommand)
export class UnwrapKeysHandler implements ICommandHandler<UnwrapKeysCommand> {
  constructor(
    private readonly batch: KeyBatchRunner,
    private readonly crypto: KeyCrypto,
  ) {}

  execute({ caller, target, algorithm, values }: UnwrapKeysCommand): Promise<BatchResult<string>> {
    return this.batch.run({
      caller,
      target,
      op: KeyOp.unwrapKey,
      operation: 'unwrapKey',
      algorithm,
      count: values.length,
      prepare: ({ key }) => parseAlgorithm(WRAP_ALGORITHMS, algorithm, key.spec),
      algorithmOf: (alg) => alg,
      item: async ({ usable }, alg, i) => {
        const plain = await this.crypto.unwrap(usable, alg, binaryInput(values[i], 'value'));
        try {
          return plain.toString('base64url');
        } finally {
          plain.fill(0);
        }
      },
    });
  }
}
