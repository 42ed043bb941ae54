import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';

export interface VerifyResult {
  kid: string;
  algorithm: string;
  valid: boolean;
}

export class VerifyCommand extends Command<VerifyResult> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    readonly digest: string,
    readonly signature: string,
  ) {
    super();
  }
}
