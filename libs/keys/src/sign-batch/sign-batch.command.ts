import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';
import { BatchResult } from '../batch/key-batch.runner';

/** Per item: base64url of the signature. */
export class SignBatchCommand extends Command<BatchResult<string>> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    /** base64url digests, at most MAX_BATCH_ITEMS */
    readonly digests: string[],
  ) {
    super();
  }
}
