import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '@keybridge/ledger';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { requireGlobal } from '../principals/caller';
import { Principal } from '../principals/principal';
import { PrincipalRepository } from '../principals/principal.repository';
import { GlobalPermission } from '../permission';
import { CreatePrincipalCommand } from './create-principal.command';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

@CommandHandler(CreatePrincipalCommand)
export class CreatePrincipalHandler implements ICommandHandler<CreatePrincipalCommand> {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute(command: CreatePrincipalCommand): Promise<Principal> {
    const { caller, name, globalPermissions, jwtSubject } = command;
    const meta = { ctx: caller, operation: 'createPrincipal', vault: null, details: { principal: name.slice(0, 128) } };
    return this.audit.runInTransaction(meta, async (manager) => {
      requireGlobal(caller, GlobalPermission.admin);
      if (!NAME.test(name)) {
        throw new AuthError(AuthErrorCode.INVALID_ARGUMENT, 'principal names are 1-128 of A-Z a-z 0-9 . _ @ -', {
          field: 'name',
        });
      }
      const created = await this.principals.insert(manager, { name, globalPermissions, jwtSubject });
      if (!created) throw new AuthError(AuthErrorCode.PRINCIPAL_ALREADY_EXISTS, `principal ${name} already exists`);
      return created;
    });
  }
}
