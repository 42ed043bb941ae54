import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { invalidArgument, KeyError, KeyErrorCode, KeyRepository, validateKeyName, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { TransferKeyCommand, TransferKeyResult, TransferMode } from './transfer-key.command';
import { VaultKeyTransfer } from './vault-key-transfer';

const MODES: readonly TransferMode[] = ['copy', 'move'];
const MAX_VERSIONS = 1000;

/**
 * transferKey: everything that needs no HSM is checked first (both permissions, names, the key's exportability,
 * what the two pools can do), so a refused request creates nothing. The outcome is recorded on the source vault;
 * the target vault gets its own 'transferKeyIn' entry in the transaction that creates the key there.
 */
@CommandHandler(TransferKeyCommand)
export class TransferKeyHandler implements ICommandHandler<TransferKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    private readonly transfer: VaultKeyTransfer,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, input }: TransferKeyCommand): Promise<TransferKeyResult> {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'transferKey',
      vault: input.vault,
      keyName: input.name.slice(0, 128),
      keyVersion: null,
      details: {
        targetVault: String(input.targetVault).slice(0, 64),
        targetName: String(input.targetName ?? input.name).slice(0, 128),
        mode: String(input.mode ?? 'copy').slice(0, 8),
      },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      const source = await this.access.authorize(caller.principal, input.vault, Permission.transfer);
      const target = await this.access.authorize(caller.principal, input.targetVault, Permission.import);
      const mode = parseMode(input.mode);
      const targetName = input.targetName ?? input.name;
      validateKeyName(targetName);
      const key = await this.keys.find(source.id, input.name, 'live');
      if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${input.name} not found in vault ${source.name}`);
      const all = (await this.keys.versions(key.id, null, MAX_VERSIONS)).reverse();
      const wanted = input.versions ?? all.map((v) => v.version);
      if (wanted.length === 0 || new Set(wanted).size !== wanted.length) throw invalidArgument('versions: name each version once, or leave it out for all', 'versions');
      const versions = wanted
        .slice()
        .sort((a, b) => a - b)
        .map((n) => {
          const found = all.find((v) => v.version === n);
          if (!found) throw new KeyError(KeyErrorCode.KEY_VERSION_NOT_FOUND, `key ${key.name} has no version ${n}`, { field: 'versions' });
          return found;
        });
      meta.keyVersion = versions[versions.length - 1].version;
      meta.details = { ...meta.details, versions: versions.map((v) => v.version).join(',').slice(0, 200) };
      return this.transfer.transfer({ ctx: caller, source, key, versions, target, targetName, mode, commit });
    });
  }
}

function parseMode(mode: string | null | undefined): TransferMode {
  if (mode === null || mode === undefined) return 'copy';
  if (!(MODES as readonly string[]).includes(mode)) throw invalidArgument(`mode must be one of ${MODES.join(', ')}`, 'mode');
  return mode as TransferMode;
}
