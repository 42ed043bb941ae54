import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '../access/key-gate';

export interface EncryptResult {
  kid: string;
  algorithm: string;
  value: string;
  iv: string | null;
  tag: string | null;
  aad: string | null;
}

export class EncryptCommand extends Command<EncryptResult> {
  constructor(
    readonly caller: Caller,
    readonly target: KeyTarget,
    readonly algorithm: string,
    readonly plaintext: string,
    readonly iv: string | null,
    readonly aad: string | null,
  ) {
    super();
  }
}
