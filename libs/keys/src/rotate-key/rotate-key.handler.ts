import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyLocator } from '../access/key-locator';
import { VaultAccess } from '../access/vault-access';
import { KeyView } from '../model/key-view';
import { KeyRotator } from './key-rotator';
import { RotateKeyCommand } from './rotate-key.command';

@CommandHandler(RotateKeyCommand)
export class RotateKeyHandler implements ICommandHandler<RotateKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly rotator: KeyRotator,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, name }: RotateKeyCommand): Promise<KeyView> {
    const meta: AuditMeta = { ctx: caller, operation: 'rotateKey', vault: vaultName, keyName: name };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.create);
      const current = await this.locator.key(vault, name);
      const rotated = await this.rotator.rotate(
        { ctx: caller, vault, name, exp: null, reason: 'manual', commit, onVersion: (version) => (meta.keyVersion = version) },
        current,
      );
      if (!rotated) throw new Error('a manual rotation is always due');
      return rotated;
    });
  }
}
