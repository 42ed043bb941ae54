import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';

export interface KeyOperationResult {
  kid: string;
  algorithm: string;
  value: string;
}

export class WrapKeyCommand extends Command<KeyOperationResult> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    /** base64url of the key material to wrap */
    readonly value: string,
  ) {
    super();
  }
}
