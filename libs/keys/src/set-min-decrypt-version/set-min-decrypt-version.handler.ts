import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { GlobalPermission, Permission, requireGlobal } from '@keybridge/auth';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { VaultAccess } from '../access/vault-access';
import { invalidArgument, KeyError, KeyErrorCode } from '../keys.errors';
import { KeyView, keyView } from '../model/key-view';
import { KeyRepository } from '../persistence/key.repository';
import { SetMinDecryptVersionCommand } from './set-min-decrypt-version.command';

const MAX_REASON = 500;

@CommandHandler(SetMinDecryptVersionCommand)
export class SetMinDecryptVersionHandler implements ICommandHandler<SetMinDecryptVersionCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, name, version, reason }: SetMinDecryptVersionCommand): Promise<KeyView> {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'setMinDecryptVersion',
      vault: vaultName,
      keyName: name.slice(0, 128),
      keyVersion: Number.isInteger(version) ? version : null,
      details: { reason: reason?.slice(0, MAX_REASON) ?? null },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.update);
      return commit(async (manager) => {
        const key = await this.keys.find(vault.id, name, 'live', manager, true);
        if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} not found in vault ${vault.name}`);
        if (!Number.isInteger(version) || version < 1 || version > key.latestVersion) {
          throw invalidArgument(`version must be 1 to the latest version (${key.latestVersion})`, 'version');
        }
        if (version < key.minDecryptVersion) {
          // Lowering the floor brings retired versions back: an administrator's decision, with its reason on record.
          requireGlobal(caller, GlobalPermission.admin);
          if (!reason || reason.trim().length === 0 || reason.length > MAX_REASON) {
            throw invalidArgument(`lowering the floor needs a reason (1 to ${MAX_REASON} characters)`, 'reason');
          }
        }
        meta.details = { ...meta.details, previous: key.minDecryptVersion };
        await this.keys.setMinDecryptVersion(manager, key.id, version, this.clock.now());
        const updated = await this.keys.find(vault.id, name, 'live', manager);
        const latest = updated && (await this.keys.version(updated.id, updated.latestVersion, manager));
        if (!updated || !latest) throw new Error('key not readable in its own transaction');
        return keyView(updated, latest);
      });
    });
  }
}
