import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { FULL_USAGE, GeneratedKey, HSM_PORT, HsmImportError, HsmPort, KeySpec, PublicKeyJwk, samePublicKey } from '@keybridge/hsm';
import { KeyError, KeyErrorCode, KeyOp, KeyRepository, keyView, parseSpec, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { DomainKeys } from '../backup/domain-keys';
import { backupDigest, BackupParseError, KeyBackup, parseBackup } from '../backup/key-backup.format';
import { TransferError, TransferErrorCode } from '../transfer.errors';
import { RestoreKeyCommand } from './restore-key.command';

/**
 * Everything that can be refused without an HSM is refused first (format, version, shape, domain, an existing key
 * of that name). Then the seal is opened with the domain key in the vault's pool and must equal the digest of the
 * blob as received, before any key is unwrapped; each version is unwrapped straight into a token object, and any
 * failure destroys what was made. Rows and ledger entry commit together.
 */
@CommandHandler(RestoreKeyCommand)
export class RestoreKeyHandler implements ICommandHandler<RestoreKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    private readonly domainKeys: DomainKeys,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, blob }: RestoreKeyCommand) {
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'restoreKey',
      vault: vaultName,
      keyName: null,
      keyVersion: null,
      details: { blobSha256: createHash('sha256').update(String(blob)).digest('hex') },
    };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.restore);
      const backup = parse(blob);
      const { header } = backup;
      meta.keyName = header.key.name;
      meta.details = { ...meta.details, sourceVault: header.vault, domain: header.domainName, versions: header.versions.length };
      const { domain, key: domainKey } = await this.domainKeys.of(vault);
      if (domain.id !== header.domainId) {
        throw new TransferError(
          TransferErrorCode.BACKUP_DOMAIN_MISMATCH,
          `the backup belongs to security domain ${header.domainName}; vault ${vault.name} is in ${domain.name}`,
          { field: 'blob' },
        );
      }
      const spec = specOf(header);
      if (await this.keys.find(vault.id, header.key.name, 'any')) {
        throw new KeyError(KeyErrorCode.KEY_ALREADY_EXISTS, `vault ${vault.name} already has a key named ${header.key.name} (delete and purge it first)`, { field: 'blob' });
      }
      const wrappedEphemeral = Buffer.from(backup.wrappedEphemeral, 'base64url');
      await this.checkSeal(backup, domainKey, wrappedEphemeral);

      const restored: GeneratedKey[] = [];
      try {
        for (const [i, v] of header.versions.entries()) {
          restored.push(
            await this.unwrap(() =>
              this.hsm.importWrappedKey({
                pool: vault.pool,
                transportKey: domainKey,
                oaepHash: header.oaepHash,
                blob: Buffer.concat([wrappedEphemeral, Buffer.from(backup.wrappedKeys[i], 'base64url')]),
                target: {
                  objectId: randomBytes(16).toString('hex'),
                  label: `${vault.name}/${header.key.name}/${v.version}`,
                  spec,
                  usage: FULL_USAGE[spec.kty],
                  exportable: true,
                  publicJwk: (v.publicJwk as PublicKeyJwk | null) ?? undefined,
                },
              }),
            ),
          );
          const publicJwk = v.publicJwk as PublicKeyJwk | null;
          const got = restored[i].publicJwk;
          if (publicJwk && (!got || !samePublicKey(got, publicJwk))) throw invalid('a restored version does not have the public key the backup names');
        }
        return await commit(async (manager) => {
          const now = this.clock.now();
          const keyId = await this.keys.insertKey(manager, {
            vaultId: vault.id,
            name: header.key.name,
            spec,
            keyOps: header.key.keyOps as KeyOp[],
            tags: header.key.tags,
            exportable: true,
            now,
          });
          if (!keyId) throw new KeyError(KeyErrorCode.KEY_ALREADY_EXISTS, `vault ${vault.name} already has a key named ${header.key.name}`, { field: 'blob' });
          for (const [i, v] of header.versions.entries()) {
            await this.keys.insertVersion(manager, {
              keyId,
              version: v.version,
              pool: vault.pool,
              hsmObjectId: restored[i].ref.objectId,
              enabled: v.enabled,
              nbf: v.nbf ? new Date(v.nbf) : null,
              exp: v.exp ? new Date(v.exp) : null,
              origin: 'restore',
              publicJwk: restored[i].publicJwk ?? null,
              now,
            });
          }
          if (header.key.minDecryptVersion > 1) await this.keys.setMinDecryptVersion(manager, keyId, header.key.minDecryptVersion, now);
          meta.keyVersion = Math.max(...header.versions.map((v) => v.version));
          const key = await this.keys.find(vault.id, header.key.name, 'live', manager);
          const latest = key && (await this.keys.version(key.id, key.latestVersion, manager));
          if (!key || !latest) throw new Error('restored key not readable in its own transaction');
          return keyView(key, latest);
        });
      } catch (error) {
        for (const r of restored) await this.hsm.destroyKey(r.ref).catch(() => undefined);
        throw error;
      }
    });
  }

  private async checkSeal(backup: KeyBackup, domainKey: { pool: string; objectId: string }, wrappedEphemeral: Buffer): Promise<void> {
    const opened = await this.unwrap(() =>
      this.hsm.openSeal({
        pool: domainKey.pool,
        transportKey: domainKey,
        oaepHash: backup.header.oaepHash,
        wrappedEphemeral,
        sealed: Buffer.from(backup.seal, 'base64url'),
      }),
    );
    const expected = backupDigest(backup);
    if (opened.length !== expected.length || !timingSafeEqual(opened, expected)) throw invalid('the backup was changed after it was made (its seal does not match)');
  }

  /** The HSM's integrity refusals of a backup are INVALID_BACKUP; anything else keeps its own code. */
  private async unwrap<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof HsmImportError) throw invalid(`the backup failed an integrity check in the HSM (${error.failure})`);
      throw error;
    }
  }
}

function parse(blob: string): KeyBackup {
  try {
    return parseBackup(blob);
  } catch (error) {
    if (!(error instanceof BackupParseError)) throw error;
    if (error.failure === 'version') throw new TransferError(TransferErrorCode.UNSUPPORTED_BACKUP_VERSION, error.message, { field: 'blob' });
    throw invalid(error.message);
  }
}

function specOf(header: KeyBackup['header']): KeySpec {
  try {
    return parseSpec(header.key.kty, header.key.size, header.key.curve);
  } catch {
    throw invalid('the backup names a key type Keybridge does not know');
  }
}

function invalid(message: string): TransferError {
  return new TransferError(TransferErrorCode.INVALID_BACKUP, message, { field: 'blob' });
}
