import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { parseAlgorithm, SIGN_ALGORITHMS } from '../algorithms/algorithm-table';
import { KeyCrypto } from '../algorithms/key-crypto';
import { BatchResult, KeyBatchRunner } from '../batch/key-batch.runner';
import { binaryInput } from '../model/binary-input';
import { KeyOp } from '../model/key-op';
import { VerifyBatchCommand } from './verify-batch.command';

@CommandHandler(VerifyBatchCommand)
export class VerifyBatchHandler implements ICommandHandler<VerifyBatchCommand> {
  constructor(
    private readonly batch: KeyBatchRunner,
    private readonly crypto: KeyCrypto,
  ) {}

  execute({ caller, target, algorithm, items }: VerifyBatchCommand): Promise<BatchResult<boolean>> {
    return this.batch.run({
      caller,
      target,
      op: KeyOp.verify,
      operation: 'verify',
      algorithm,
      count: items.length,
      prepare: ({ key }) => parseAlgorithm(SIGN_ALGORITHMS, algorithm, key.spec),
      algorithmOf: (alg) => alg,
      item: ({ usable }, alg, i) => this.crypto.verify(usable, alg, binaryInput(items[i].digest, 'digest'), binaryInput(items[i].signature, 'signature')),
    });
  }
}
