import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { Clock } from '@keybridge/platform';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyLocator } from '../access/key-locator';
import { VaultAccess } from '../access/vault-access';
import { KeyView, keyView } from '../model/key-view';
import { KeyRepository } from '../persistence/key.repository';
import { DeleteKeyCommand } from './delete-key.command';

/** Soft-deleted keys are kept this long before they become eligible for purge (Azure's default). */
export const SOFT_DELETE_RETENTION_DAYS = 90;

@CommandHandler(DeleteKeyCommand)
export class DeleteKeyHandler implements ICommandHandler<DeleteKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly keys: KeyRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, name }: DeleteKeyCommand): Promise<KeyView> {
    const meta: AuditMeta = { ctx: caller, operation: 'deleteKey', vault: vaultName, keyName: name };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.delete);
      const key = await this.locator.key(vault, name);
      return commit(async (manager) => {
        const now = this.clock.now();
        const purgeAt = new Date(now.getTime() + SOFT_DELETE_RETENTION_DAYS * 86_400_000);
        await this.keys.markDeleted(manager, key.id, now, purgeAt);
        const deleted = await this.keys.find(vault.id, name, 'deleted', manager);
        const latest = await this.keys.version(key.id, key.latestVersion, manager);
        if (!deleted || !latest) throw new Error('deleted key not readable in its own transaction');
        return keyView(deleted, latest);
      });
    });
  }
}
