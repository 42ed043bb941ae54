import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { Clock } from '@keybridge/platform';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { KeyLocator } from '../access/key-locator';
import { VaultAccess } from '../access/vault-access';
import { parseKeyOps, parseTags, validateValidity } from '../model/key-attributes';
import { KeyView, keyView } from '../model/key-view';
import { parseVersion } from '../model/version-spec';
import { KeyRepository } from '../persistence/key.repository';
import { UpdateKeyCommand } from './update-key.command';

@CommandHandler(UpdateKeyCommand)
export class UpdateKeyHandler implements ICommandHandler<UpdateKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly keys: KeyRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, input }: UpdateKeyCommand): Promise<KeyView> {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'updateKey',
      vault: input.vault,
      keyName: input.name,
      details: { fields: ['enabled', 'nbf', 'exp', 'keyOps', 'tags'].filter((f) => f in input).join(',') },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, input.vault, Permission.update);
      const key = await this.locator.key(vault, input.name);
      const version = await this.locator.version(key, parseVersion(input.version));
      meta.keyVersion = version.version;
      const keyOps = input.keyOps ? parseKeyOps(key.spec.kty, input.keyOps) : undefined;
      const tags = parseTags(input.tags);
      const nbf = 'nbf' in input ? (input.nbf ?? null) : version.nbf;
      const exp = 'exp' in input ? (input.exp ?? null) : version.exp;
      validateValidity(nbf, exp);
      const patch: { enabled?: boolean; nbf?: Date | null; exp?: Date | null } = {};
      if (input.enabled !== undefined && input.enabled !== null) patch.enabled = input.enabled;
      if ('nbf' in input) patch.nbf = nbf;
      if ('exp' in input) patch.exp = exp;
      return commit(async (manager) => {
        const now = this.clock.now();
        await this.keys.updateKey(manager, key.id, { keyOps, tags }, now);
        await this.keys.updateVersion(manager, key.id, version.version, patch, now);
        const updated = await this.keys.find(vault.id, key.name, 'live', manager);
        const updatedVersion = await this.keys.version(key.id, version.version, manager);
        if (!updated || !updatedVersion) throw new Error('updated key not readable in its own transaction');
        return keyView(updated, updatedVersion);
      });
    });
  }
}
