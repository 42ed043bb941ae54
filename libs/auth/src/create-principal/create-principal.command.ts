import { Command } from '@nestjs/cqrs';
import { Caller } from '../principals/caller';
import { Principal } from '../principals/principal';
import { GlobalPermission } from '../permission';

export class CreatePrincipalCommand extends Command<Principal> {
  constructor(
    readonly caller: Caller,
    readonly name: string,
    readonly globalPermissions: GlobalPermission[],
    readonly jwtSubject: string | null,
  ) {
    super();
  }
}
