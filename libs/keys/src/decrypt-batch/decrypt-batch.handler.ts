import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ENCRYPT_ALGORITHMS, parseAlgorithm } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { BatchResult, KeyBatchRunner } from '../batch/key-batch.runner';
import { binaryInput, optionalBinaryInput } from '../model/binary-input';
import { KeyOp } from '../model/key-op';
import { DecryptBatchCommand } from './decrypt-batch.command';

@CommandHandler(DecryptBatchCommand)
export class DecryptBatchHandler implements ICommandHandler<DecryptBatchCommand> {
  constructor(
    private readonly batch: KeyBatchRunner,
    private readonly crypto: KeyCrypto,
  ) {}

  execute({ caller, target, algorithm, items }: DecryptBatchCommand): Promise<BatchResult<string>> {
    return this.batch.run({
      caller,
      target,
      op: KeyOp.decrypt,
      operation: 'decrypt',
      algorithm,
      count: items.length,
      prepare: ({ key }) => parseAlgorithm(ENCRYPT_ALGORITHMS, algorithm, key.spec),
      algorithmOf: (alg) => alg,
      item: async ({ usable }, alg, i) => {
        const { ciphertext, iv, aad, tag } = items[i];
        const plain = await this.crypto.decrypt(
          usable,
          alg,
          binaryInput(ciphertext, 'ciphertext'),
          optionalBinaryInput(iv, 'iv'),
          optionalBinaryInput(aad, 'aad'),
          optionalBinaryInput(tag, 'tag'),
        );
        try {
          return plain.toString('base64url');
        } finally {
          plain.fill(0);
        }
      },
    });
  }
}
