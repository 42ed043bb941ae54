import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { SecurityDomainView } from '../security-domain/security-domain.view';

export interface ActivateSecurityDomainInput {
  domain: string;
  /** The pool that joins the domain. */
  pool: string;
  /** keybridge.decrypted-share JSON documents (keybridge custodian decrypt-share), at least the quorum. */
  shares: string[];
}

/** Recovers the domain key into another pool from a quorum of custodians' decrypted shares. Admin. */
export class ActivateSecurityDomainCommand extends Command<SecurityDomainView> {
  constructor(
    readonly caller: Caller,
    readonly input: ActivateSecurityDomainInput,
  ) {
    super();
  }
}
