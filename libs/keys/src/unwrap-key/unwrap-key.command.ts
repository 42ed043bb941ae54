import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';
import { KeyOperationResult } from '../wrap-key/wrap-key.command';

export class UnwrapKeyCommand extends Command<KeyOperationResult> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    /** base64url of the wrapped key */
    readonly value: string,
  ) {
    super();
  }
}
