import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';

/**
 * The default lifetime of escrow records made under a key from now on (null: none). A record may still carry its
 * own expiresAt. Permission: update.
 */
export class SetEscrowLifetimeCommand extends Command<number | null> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly key: string,
    readonly seconds: number | null,
  ) {
    super();
  }
}
