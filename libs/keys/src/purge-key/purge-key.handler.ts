import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { VaultAccess } from '../access/vault-access';
import { KeyError, KeyErrorCode } from '../keys.errors';
import { KeyRepository } from '../persistence/key.repository';
import { PurgeKeyCommand } from './purge-key.command';

@CommandHandler(PurgeKeyCommand)
export class PurgeKeyHandler implements ICommandHandler<PurgeKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, vault: vaultName, name }: PurgeKeyCommand): Promise<boolean> {
    const meta: AuditMeta = { ctx: caller, operation: 'purgeKey', vault: vaultName, keyName: name };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.purge);
      const key = await this.keys.find(vault.id, name, 'any');
      if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} not found in vault ${vault.name}`);
      if (!key.deletedAt) throw new KeyError(KeyErrorCode.KEY_NOT_DELETED, `key ${name} must be soft-deleted before it can be purged`);
      const versions = await this.keys.versions(key.id, null, Number.MAX_SAFE_INTEGER);
      // HSM objects first: a purge that fails half-way leaves metadata pointing at nothing (retry finishes it),
      // never key material without metadata.
      for (const v of versions) await this.hsm.destroyKey({ pool: v.pool, objectId: v.hsmObjectId });
      meta.details = { versions: versions.length };
      await commit((manager) => this.keys.remove(manager, key.id));
      return true;
    });
  }
}
