import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '@keybridge/ledger';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { requireGlobal } from '../principals/caller';
import { PrincipalRepository } from '../principals/principal.repository';
import { GlobalPermission } from '../permission';
import { UnbindPrincipalCertificateCommand } from './unbind-principal-certificate.command';

@CommandHandler(UnbindPrincipalCertificateCommand)
export class UnbindPrincipalCertificateHandler implements ICommandHandler<UnbindPrincipalCertificateCommand> {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute(command: UnbindPrincipalCertificateCommand): Promise<boolean> {
    const { caller, principalName } = command;
    const meta = { ctx: caller, operation: 'unbindPrincipalCertificate', vault: null, details: { principal: principalName.slice(0, 128) } };
    return this.audit.runInTransaction(meta, async (manager) => {
      requireGlobal(caller, GlobalPermission.admin);
      const principal = await this.principals.findByName(principalName, manager);
      if (!principal) throw new AuthError(AuthErrorCode.PRINCIPAL_NOT_FOUND, `principal ${principalName} not found`);
      return this.principals.setCertificateBinding(manager, principal.id, null);
    });
  }
}
