import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { invalidArgument, KeyLocator, VaultAccess } from '@keybridge/keys';
import { AuditTrail } from '@keybridge/ledger';
import { EscrowRecordRepository } from '../persistence/escrow-record.repository';
import { SetEscrowLifetimeCommand } from './set-escrow-lifetime.command';

/** Ten years: anything longer is a mistake rather than a lifetime. */
const MAX_SECONDS = 10 * 366 * 86_400;

@CommandHandler(SetEscrowLifetimeCommand)
export class SetEscrowLifetimeHandler implements ICommandHandler<SetEscrowLifetimeCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly records: EscrowRecordRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, key: name, seconds }: SetEscrowLifetimeCommand): Promise<number | null> {
    const meta = { ctx: caller, operation: 'setEscrowLifetime', vault: vaultName, keyName: name.slice(0, 128), details: { seconds } };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.update);
      const key = await this.locator.key(vault, name);
      if (seconds !== null && (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SECONDS)) {
        throw invalidArgument(`seconds must be 1 to ${MAX_SECONDS}, or null for no default lifetime`, 'seconds');
      }
      return commit(async (manager) => {
        await this.records.setDefaultLifetime(manager, key.id, seconds);
        return seconds;
      });
    });
  }
}
