import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '@keybridge/platform';
import { AuditTrail } from '@keybridge/ledger';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { requireGlobal } from '../principals/caller';
import { GlobalPermission } from '../permission';
import { ApiTokenRepository } from '../tokens/api-token.repository';
import { RevokeApiTokenCommand } from './revoke-api-token.command';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@CommandHandler(RevokeApiTokenCommand)
export class RevokeApiTokenHandler implements ICommandHandler<RevokeApiTokenCommand> {
  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute(command: RevokeApiTokenCommand): Promise<boolean> {
    const { caller, tokenId } = command;
    const meta = { ctx: caller, operation: 'revokeApiToken', vault: null, details: { tokenId: tokenId.slice(0, 64) } };
    return this.audit.runInTransaction(meta, async (manager) => {
      requireGlobal(caller, GlobalPermission.admin);
      const revoked = UUID.test(tokenId) ? await this.tokens.revoke(manager, tokenId, this.clock.now()) : undefined;
      if (!revoked) throw new AuthError(AuthErrorCode.TOKEN_NOT_FOUND, 'no live token with that id');
      return true;
    });
  }
}
