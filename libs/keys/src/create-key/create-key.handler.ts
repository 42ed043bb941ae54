import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { Clock } from '@keybridge/platform';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { VaultAccess } from '../access/vault-access';
import { HsmKeyGenerator } from '../generation/hsm-key-generator';
import { KeyError, KeyErrorCode } from '../keys.errors';
import { parseKeyOps, parseSpec, parseTags, validateKeyName, validateValidity } from '../model/key-attributes';
import { KeyView, keyView } from '../model/key-view';
import { KeyRepository } from '../persistence/key.repository';
import { CreateKeyCommand } from './create-key.command';

@CommandHandler(CreateKeyCommand)
export class CreateKeyHandler implements ICommandHandler<CreateKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    private readonly generator: HsmKeyGenerator,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, input }: CreateKeyCommand): Promise<KeyView> {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'createKey',
      vault: input.vault,
      keyName: input.name.slice(0, 128),
      keyVersion: 1,
      details: { kty: String(input.kty).slice(0, 8), exportable: input.exportable ?? false },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, input.vault, Permission.create);
      validateKeyName(input.name);
      const spec = parseSpec(input.kty, input.size, input.curve);
      const keyOps = parseKeyOps(spec.kty, input.keyOps);
      const tags = parseTags(input.tags) ?? {};
      validateValidity(input.nbf, input.exp);
      if (await this.keys.find(vault.id, input.name, 'any')) throw alreadyExists(input.name);
      const exportable = input.exportable ?? false;

      return this.generator.generateThen({ pool: vault.pool, label: `${vault.name}/${input.name}/1`, spec, exportable }, (generated) =>
        commit(async (manager) => {
          const now = this.clock.now();
          const keyId = await this.keys.insertKey(manager, { vaultId: vault.id, name: input.name, spec, keyOps, tags, exportable, now });
          if (!keyId) throw alreadyExists(input.name);
          await this.keys.insertVersion(manager, {
            keyId,
            version: 1,
            pool: vault.pool,
            hsmObjectId: generated.ref.objectId,
            enabled: input.enabled ?? true,
            nbf: input.nbf ?? null,
            exp: input.exp ?? null,
            origin: 'generated',
            publicJwk: generated.publicJwk ?? null,
            now,
          });
          const key = await this.keys.find(vault.id, input.name, 'live', manager);
          const version = key && (await this.keys.version(key.id, 1, manager));
          if (!key || !version) throw new Error('created key not readable in its own transaction');
          return keyView(key, version);
        }),
      );
    });
  }
}

function alreadyExists(name: string): KeyError {
  return new KeyError(KeyErrorCode.KEY_ALREADY_EXISTS, `a key named ${name} already exists in this vault (possibly soft-deleted)`);
}
