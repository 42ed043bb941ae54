import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';
import { BatchResult } from '../batch/key-batch.runner';

export interface DecryptBatchItem {
  ciphertext: string;
  iv?: string | null;
  aad?: string | null;
  tag?: string | null;
}

/** Per item: base64url of the plaintext. */
export class DecryptBatchCommand extends Command<BatchResult<string>> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    readonly items: DecryptBatchItem[],
  ) {
    super();
  }
}
