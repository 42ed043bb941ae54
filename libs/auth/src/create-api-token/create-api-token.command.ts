import { Command } from '@nestjs/cqrs';
import { Caller } from '../principals/caller';

export interface IssuedApiToken {
  id: string;
  principalName: string;
  /** Shown once; only its hash is stored. */
  token: string;
  createdAt: Date;
  expiresAt: Date | null;
}

export class CreateApiTokenCommand extends Command<IssuedApiToken> {
  constructor(
    readonly caller: Caller,
    readonly principalName: string,
    readonly label: string,
    readonly expiresAt: Date | null,
  ) {
    super();
  }
}
