import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { SecurityDomainView } from '../security-domain/security-domain.view';

export interface CreateSecurityDomainInput {
  name: string;
  /** The pool that makes the domain key and is its first member. */
  pool: string;
  /** Custodians' RSA public keys (SPKI PEM or JWK), 3 or more, each 2048 bits or more. */
  custodians: string[];
  /** Shares needed to activate the domain on another pool (2..N). */
  quorum: number;
}

export interface CreatedSecurityDomain {
  domain: SecurityDomainView;
  /** One keybridge.custodian-share JSON document per custodian, in the order given; shown once, never stored. */
  shares: string[];
}

/** Creates a security domain: its key in the pool, and the recovery secret split M-of-N to the custodians. Admin. */
export class CreateSecurityDomainCommand extends Command<CreatedSecurityDomain> {
  constructor(
    readonly caller: Caller,
    readonly input: CreateSecurityDomainInput,
  ) {
    super();
  }
}
