import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '@keybridge/platform';
import { AuditTrail } from '@keybridge/ledger';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { requireGlobal } from '../principals/caller';
import { PrincipalRepository } from '../principals/principal.repository';
import { GlobalPermission } from '../permission';
import { newApiToken } from '../tokens/api-token';
import { ApiTokenRepository } from '../tokens/api-token.repository';
import { CreateApiTokenCommand, IssuedApiToken } from './create-api-token.command';

@CommandHandler(CreateApiTokenCommand)
export class CreateApiTokenHandler implements ICommandHandler<CreateApiTokenCommand> {
  constructor(
    private readonly principals: PrincipalRepository,
    private readonly tokens: ApiTokenRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute(command: CreateApiTokenCommand): Promise<IssuedApiToken> {
    const { caller, principalName, label, expiresAt } = command;
    const meta = { ctx: caller, operation: 'createApiToken', vault: null, details: { principal: principalName.slice(0, 128) } };
    return this.audit.runInTransaction(meta, async (manager) => {
      requireGlobal(caller, GlobalPermission.admin);
      if (label.length > 256) throw new AuthError(AuthErrorCode.INVALID_ARGUMENT, 'label is at most 256 characters', { field: 'label' });
      if (expiresAt && expiresAt <= this.clock.now()) {
        throw new AuthError(AuthErrorCode.INVALID_ARGUMENT, 'expiresAt must be in the future', { field: 'expiresAt' });
      }
      const principal = await this.principals.findByName(principalName, manager);
      if (!principal) throw new AuthError(AuthErrorCode.PRINCIPAL_NOT_FOUND, `principal ${principalName} not found`);
      const { token, hash } = newApiToken();
      const row = await this.tokens.insert(manager, { principalId: principal.id, hash, label, expiresAt });
      return { id: row.id, principalName, token, createdAt: row.createdAt, expiresAt };
    });
  }
}
