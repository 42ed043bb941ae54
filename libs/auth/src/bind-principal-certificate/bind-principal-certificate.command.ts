import { Command } from '@nestjs/cqrs';
import { CertificateBinding } from '../certificates/certificate-binding';
import { Caller } from '../principals/caller';

export interface PrincipalCertificateBinding extends CertificateBinding {
  principalName: string;
}

/** Raw inputs: the handler validates them, so bad values become typed INVALID_ARGUMENT errors in the ledger. */
export class BindPrincipalCertificateCommand extends Command<PrincipalCertificateBinding> {
  constructor(
    readonly caller: Caller,
    readonly principalName: string,
    readonly subject: string | null,
    readonly sha256: string | null,
    readonly mode: string,
  ) {
    super();
  }
}
