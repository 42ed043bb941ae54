import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { Clock } from '@keybridge/platform';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyLocator } from '../access/key-locator';
import { VaultAccess } from '../access/vault-access';
import { HsmKeyGenerator } from '../generation/hsm-key-generator';
import { KeyError, KeyErrorCode } from '../keys.errors';
import { KeyView, keyView } from '../model/key-view';
import { KeyRepository } from '../persistence/key.repository';
import { RotateKeyCommand } from './rotate-key.command';

@CommandHandler(RotateKeyCommand)
export class RotateKeyHandler implements ICommandHandler<RotateKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly keys: KeyRepository,
    private readonly generator: HsmKeyGenerator,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, name }: RotateKeyCommand): Promise<KeyView> {
    const meta: AuditMeta = { ctx: caller, operation: 'rotateKey', vault: vaultName, keyName: name };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.create);
      const current = await this.locator.key(vault, name);
      return this.generator.generateThen(
        { pool: vault.pool, label: `${vault.name}/${name}/${current.latestVersion + 1}`, spec: current.spec, exportable: current.exportable },
        (generated) =>
          commit(async (manager) => {
            // Lock the key row so two concurrent rotations get consecutive version numbers.
            const key = await this.keys.find(vault.id, name, 'live', manager, true);
            if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} not found in vault ${vault.name}`);
            const version = key.latestVersion + 1;
            meta.keyVersion = version;
            const now = this.clock.now();
            await this.keys.insertVersion(manager, {
              keyId: key.id,
              version,
              pool: vault.pool,
              hsmObjectId: generated.ref.objectId,
              enabled: true,
              nbf: null,
              exp: null,
              origin: 'generated',
              publicJwk: generated.publicJwk ?? null,
              now,
            });
            const updated = await this.keys.find(vault.id, name, 'live', manager);
            const created = await this.keys.version(key.id, version, manager);
            if (!updated || !created) throw new Error('rotated version not readable in its own transaction');
            return keyView(updated, created);
          }),
      );
    });
  }
}
