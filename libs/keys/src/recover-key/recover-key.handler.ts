import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyLocator } from '../access/key-locator';
import { VaultAccess } from '../access/vault-access';
import { KeyView, keyView } from '../model/key-view';
import { KeyRepository } from '../persistence/key.repository';
import { RecoverKeyCommand } from './recover-key.command';

@CommandHandler(RecoverKeyCommand)
export class RecoverKeyHandler implements ICommandHandler<RecoverKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly keys: KeyRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, name }: RecoverKeyCommand): Promise<KeyView> {
    const meta: AuditMeta = { ctx: caller, operation: 'recoverKey', vault: vaultName, keyName: name };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.recover);
      const key = await this.locator.key(vault, name, 'deleted');
      return commit(async (manager) => {
        await this.keys.markDeleted(manager, key.id, null, null);
        const recovered = await this.keys.find(vault.id, name, 'live', manager);
        const latest = await this.keys.version(key.id, key.latestVersion, manager);
        if (!recovered || !latest) throw new Error('recovered key not readable in its own transaction');
        return keyView(recovered, latest);
      });
    });
  }
}
