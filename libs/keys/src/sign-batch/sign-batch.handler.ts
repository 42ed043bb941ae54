import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseAlgorithm, SIGN_ALGORITHMS } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { BatchResult, KeyBatchRunner } from '../batch/key-batch.runner';
import { binaryInput } from '../model/binary-input';
import { KeyOp } from '../model/key-op';
import { SignBatchCommand } from './sign-batch.command';

@CommandHandler(SignBatchCommand)
export class SignBatchHandler implements ICommandHandler<SignBatchCommand> {
  constructor(
    private readonly batch: KeyBatchRunner,
    private readonly crypto: KeyCrypto,
  ) {}

  execute({ caller, target, algorithm, digests }: SignBatchCommand): Promise<BatchResult<string>> {
    return this.batch.run({
      caller,
      target,
      op: KeyOp.sign,
      operation: 'sign',
      algorithm,
      count: digests.length,
      prepare: ({ key }) => parseAlgorithm(SIGN_ALGORITHMS, algorithm, key.spec),
      algorithmOf: (alg) => alg,
      item: async ({ usable }, alg, i) => (await this.crypto.sign(usable, alg, binaryInput(digests[i], 'digest'))).toString('base64url'),
    });
  }
}
