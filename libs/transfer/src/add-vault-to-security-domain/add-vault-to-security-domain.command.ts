import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { SecurityDomainView } from '../security-domain/security-domain.view';

/** Puts a vault into a security domain active on the vault's pool (its backups can then be restored in any member vault). Admin. */
export class AddVaultToSecurityDomainCommand extends Command<SecurityDomainView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly domain: string,
  ) {
    super();
  }
}
