import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '@keybridge/ledger';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { CertificateBinding, parseCertificateMode, parseSha256Fingerprint, parseSubject } from '../certificates/certificate-binding';
import { requireGlobal } from '../principals/caller';
import { PrincipalRepository } from '../principals/principal.repository';
import { GlobalPermission } from '../permission';
import { BindPrincipalCertificateCommand, PrincipalCertificateBinding } from './bind-principal-certificate.command';

@CommandHandler(BindPrincipalCertificateCommand)
export class BindPrincipalCertificateHandler implements ICommandHandler<BindPrincipalCertificateCommand> {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute(command: BindPrincipalCertificateCommand): Promise<PrincipalCertificateBinding> {
    const { caller, principalName } = command;
    const meta = {
      ctx: caller,
      operation: 'bindPrincipalCertificate',
      vault: null,
      details: { principal: principalName.slice(0, 128), mode: command.mode.slice(0, 32) },
    };
    return this.audit.runInTransaction(meta, async (manager) => {
      requireGlobal(caller, GlobalPermission.admin);
      const binding = parseBinding(command);
      const principal = await this.principals.findByName(principalName, manager);
      if (!principal) throw new AuthError(AuthErrorCode.PRINCIPAL_NOT_FOUND, `principal ${principalName} not found`);
      // A certificate matching two bindings would make "who is this?" ambiguous; refuse the second binding instead.
      const overlapping = await this.principals.overlappingCertificateBindings(manager, principal.id, binding);
      if (overlapping.length) {
        throw new AuthError(
          AuthErrorCode.CERTIFICATE_ALREADY_BOUND,
          `a certificate matching this binding could also match the binding of ${overlapping.join(', ')}`,
        );
      }
      await this.principals.setCertificateBinding(manager, principal.id, binding);
      return { principalName, ...binding };
    });
  }
}

function parseBinding(command: BindPrincipalCertificateCommand): CertificateBinding {
  const mode = parseCertificateMode(command.mode);
  if (command.subject === null && command.sha256 === null) {
    throw new AuthError(AuthErrorCode.INVALID_ARGUMENT, 'give subject, sha256 or both', { field: 'subject' });
  }
  return {
    subject: command.subject === null ? null : parseSubject(command.subject),
    sha256: command.sha256 === null ? null : parseSha256Fingerprint(command.sha256),
    mode,
  };
}
