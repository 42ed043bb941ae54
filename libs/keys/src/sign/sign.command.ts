import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';
import { KeyOperationResult } from '../wrap-key/wrap-key.command';

export class SignCommand extends Command<KeyOperationResult> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    /** base64url of the message digest */
    readonly digest: string,
  ) {
    super();
  }
}
