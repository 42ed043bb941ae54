import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';
import { BatchResult } from '../batch/key-batch.runner';

export interface EncryptBatchItem {
  plaintext: string;
  iv?: string | null;
  aad?: string | null;
}

export interface EncryptedItem {
  value: string;
  iv: string | null;
  tag: string | null;
}

export class EncryptBatchCommand extends Command<BatchResult<EncryptedItem>> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    readonly items: EncryptBatchItem[],
  ) {
    super();
  }
}
