import { Command } from '@nestjs/cqrs';
import { Caller, Permission } from '@keybridge/auth';

export class SetGrantCommand extends Command<Permission[]> {
  constructor(
    readonly caller: Caller,
    readonly principalName: string,
    readonly vault: string,
    /** Replaces the principal's permissions on the vault; empty removes the grant. */
    readonly permissions: Permission[],
  ) {
    super();
  }
}
