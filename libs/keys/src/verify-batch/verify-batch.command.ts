import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';
import { BatchResult } from '../batch/key-batch.runner';

export interface VerifyBatchItem {
  digest: string;
  signature: string;
}

/** Per item: whether the signature is valid. */
export class VerifyBatchCommand extends Command<BatchResult<boolean>> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    readonly items: VerifyBatchItem[],
  ) {
    super();
  }
}
