import { createHash } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { KeyError, KeyErrorCode, KeyRepository, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { DomainKeys } from '../backup/domain-keys';
import { backupDigest, KEY_BACKUP_FORMAT, KEY_BACKUP_VERSION, KeyBackup, serializeBackup } from '../backup/key-backup.format';
import { SecurityOfficerUse } from '../security-domain/security-officer-use';
import { TransferError, TransferErrorCode } from '../transfer.errors';
import { BackupKeyCommand, KeyBackupResult } from './backup-key.command';

const MAX_VERSIONS = 1000;

/**
 * Wraps every version for the vault's security domain inside the HSM (exportKeys with the domain public key as
 * recipient, the pool's export discipline), and seals the header and wrapped parts under the same ephemeral key,
 * so a restore refuses any changed character. The ledger records the blob's SHA-256, never the blob.
 */
@CommandHandler(BackupKeyCommand)
export class BackupKeyHandler implements ICommandHandler<BackupKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    private readonly domainKeys: DomainKeys,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly securityOfficer: SecurityOfficerUse,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, vault: vaultName, name }: BackupKeyCommand): Promise<KeyBackupResult> {
    const meta: AuditMeta = { ctx: caller, operation: 'backupKey', vault: vaultName, keyName: name.slice(0, 128), keyVersion: null, details: {} };
    return this.audit.run(meta, async () => {
      const vault = await this.access.authorize(caller.principal, vaultName, Permission.backup);
      const key = await this.keys.find(vault.id, name, 'live');
      if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${name} not found in vault ${vault.name}`);
      if (!key.exportable) {
        throw new TransferError(TransferErrorCode.KEY_NOT_EXPORTABLE, `key ${key.name} was created non-exportable: it can never leave its HSM, not even as a backup`);
      }
      const { domain, pools } = await this.domainKeys.of(vault);
      const oaepHash = this.domainKeys.oaepHashFor(vault.pool, pools);
      const versions = (await this.keys.versions(key.id, null, MAX_VERSIONS)).reverse();
      const header: KeyBackup['header'] = {
        domainId: domain.id,
        domainName: domain.name,
        vault: vault.name,
        createdAt: this.clock.now().toISOString(),
        oaepHash,
        key: {
          name: key.name,
          kty: key.spec.kty,
          size: key.spec.kty === 'EC' ? null : key.spec.bits,
          curve: key.spec.kty === 'EC' ? key.spec.curve : null,
          keyOps: key.keyOps,
          tags: key.tags,
          exportable: true,
          minDecryptVersion: key.minDecryptVersion,
        },
        versions: versions.map((v) => ({
          version: v.version,
          enabled: v.enabled,
          nbf: v.nbf?.toISOString() ?? null,
          exp: v.exp?.toISOString() ?? null,
          origin: v.origin,
          publicJwk: v.publicJwk,
        })),
      };
      if (this.securityOfficer.needed(vault.pool)) {
        await this.securityOfficer.record(caller, { pool: vault.pool, vault: vault.name, keyName: key.name, purpose: 'backupKey', details: { domain: domain.name } });
      }
      const exported = await this.hsm.exportKeys({
        pool: vault.pool,
        keys: versions.map((v) => ({ pool: v.pool, objectId: v.hsmObjectId })),
        recipient: domain.publicJwk,
        oaepHash,
        seal: (parts) =>
          backupDigest({
            format: KEY_BACKUP_FORMAT,
            version: KEY_BACKUP_VERSION,
            header,
            wrappedEphemeral: parts.wrappedEphemeral.toString('base64url'),
            wrappedKeys: parts.wrappedKeys.map((w) => w.toString('base64url')),
          }),
      });
      const blob = serializeBackup({
        format: KEY_BACKUP_FORMAT,
        version: KEY_BACKUP_VERSION,
        header,
        wrappedEphemeral: exported.wrappedEphemeral.toString('base64url'),
        wrappedKeys: exported.wrappedKeys.map((w) => w.toString('base64url')),
        seal: (exported.sealed as Buffer).toString('base64url'),
      });
      meta.keyVersion = key.latestVersion;
      meta.details = { domain: domain.name, versions: versions.length, blobSha256: createHash('sha256').update(blob).digest('hex') };
      return { kid: `/vaults/${vault.name}/keys/${key.name}`, blob, securityDomain: domain.name, versions: versions.length };
    });
  }
}
