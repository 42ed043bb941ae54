import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ENCRYPT_ALGORITHMS, parseAlgorithm } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { BatchResult, KeyBatchRunner } from '../batch/key-batch.runner';
import { binaryInput, optionalBinaryInput } from '../model/binary-input';
import { KeyOp } from '../model/key-op';
import { EncryptBatchCommand, EncryptedItem } from './encrypt-batch.command';

@CommandHandler(EncryptBatchCommand)
export class EncryptBatchHandler implements ICommandHandler<EncryptBatchCommand> {
  constructor(
    private readonly batch: KeyBatchRunner,
    private readonly crypto: KeyCrypto,
  ) {}

  execute({ caller, target, algorithm, items }: EncryptBatchCommand): Promise<BatchResult<EncryptedItem>> {
    return this.batch.run({
      caller,
      target,
      op: KeyOp.encrypt,
      operation: 'encrypt',
      algorithm,
      count: items.length,
      prepare: ({ key }) => parseAlgorithm(ENCRYPT_ALGORITHMS, algorithm, key.spec),
      algorithmOf: (alg) => alg,
      item: async ({ usable }, alg, i) => {
        const { plaintext, iv, aad } = items[i];
        const out = await this.crypto.encrypt(usable, alg, binaryInput(plaintext, 'plaintext'), optionalBinaryInput(iv, 'iv'), optionalBinaryInput(aad, 'aad'));
        return { value: out.ciphertext.toString('base64url'), iv: out.iv?.toString('base64url') ?? null, tag: out.tag?.toString('base64url') ?? null };
      },
    });
  }
}
