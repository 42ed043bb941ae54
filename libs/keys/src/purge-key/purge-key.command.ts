import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';

/** Permanently destroys a soft-deleted key: every version's HSM objects, then its metadata. */
export class PurgeKeyCommand extends Command<boolean> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
  ) {
    super();
  }
}
