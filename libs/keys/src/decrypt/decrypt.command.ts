import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';
import { KeyOperationResult } from '../wrap-key/wrap-key.command';

export class DecryptCommand extends Command<KeyOperationResult> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    readonly ciphertext: string,
    readonly iv: string | null,
    readonly aad: string | null,
    readonly tag: string | null,
  ) {
    super();
  }
}
