import { Command } from '@nestjs/cqrs';
import { Caller } from '../principals/caller';

/** Result: whether the principal had a binding. Afterwards it authenticates with tokens only, as before mTLS. */
export class UnbindPrincipalCertificateCommand extends Command<boolean> {
  constructor(
    readonly caller: Caller,
    readonly principalName: string,
  ) {
    super();
  }
}
