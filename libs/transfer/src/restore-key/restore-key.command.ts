import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '@keybridge/keys';

/** Restores every version of a backed-up key into a vault of the same security domain (any pool). Permission: restore. */
export class RestoreKeyCommand extends Command<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly blob: string,
  ) {
    super();
  }
}
