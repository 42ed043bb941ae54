import { createHash, randomBytes } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { FULL_USAGE, GeneratedKey, HSM_PORT, HsmImportError, HsmPort, ImportWrappedKeyRequest, KeySpec, samePublicKey } from '@keybridge/hsm';
import {
  invalidArgument,
  KeyError,
  KeyErrorCode,
  KeyRecord,
  KeyRepository,
  KeyView,
  keyView,
  parseKeyOps,
  parseSpec,
  parseTags,
  validateKeyName,
  validateValidity,
  VaultAccess,
} from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { assertUnreachable, Clock } from '@keybridge/platform';
import { assertImportable, TransportKeyFinder } from '../access/transport-key-finder';
import { parseImportBlob } from '../blob/import-blob';
import { ByokError, ByokErrorCode } from '../byok.errors';
import { TransportKeyRepository } from '../persistence/transport-key.repository';
import { parseDeclaredPublicKey } from './declared-public-key';
import { ImportKeyCommand } from './import-key.command';

type Scalar = string | number | boolean | null;

/**
 * BYOK import. Everything that can be checked without the HSM is checked first (permission, name, declared type,
 * blob format and shape, transport key state, the pool's capabilities), so a refused request creates nothing. The
 * unwrap happens inside the HSM; the transport key's use is spent in the same transaction as the key rows and the
 * ledger entry (which records the transport kid and the blob's SHA-256, never the blob). If that transaction fails,
 * the imported object is destroyed again.
 */
@CommandHandler(ImportKeyCommand)
export class ImportKeyHandler implements ICommandHandler<ImportKeyCommand> {
  constructor(
    private readonly access: VaultAccess,
    private readonly keys: KeyRepository,
    private readonly finder: TransportKeyFinder,
    private readonly transportKeys: TransportKeyRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, input }: ImportKeyCommand): Promise<KeyView> {
    const details: Record<string, Scalar> = {
      format: String(input.format).slice(0, 8),
      kty: String(input.kty).slice(0, 8),
      inputSha256: sha256(Buffer.from(input.blob, 'utf8')),
    };
    const meta: AuditMeta = { ctx: caller, operation: 'importKey', vault: input.vault, keyName: input.name.slice(0, 128), keyVersion: null, details };
    return this.audit.runCommitting(meta, async (commit) => {
      const vault = await this.access.authorize(caller.principal, input.vault, Permission.import);
      validateKeyName(input.name);
      const spec = parseSpec(input.kty, input.size, input.curve);
      const keyOps = input.keyOps ? parseKeyOps(spec.kty, input.keyOps) : undefined;
      const tags = parseTags(input.tags);
      validateValidity(input.nbf, input.exp);
      const blob = parseImportBlob(input);
      Object.assign(details, { transportKid: blob.transportKid.slice(0, 200), oaepHash: blob.oaepHash, blobSha256: sha256(blob.bytes) });
      const declaredPublic = input.publicKey ? parseDeclaredPublicKey(input.publicKey, spec) : undefined;
      if (spec.kty === 'EC' && !declaredPublic) {
        throw invalidArgument('EC imports need publicKey (the HSM does not reveal an EC private key\'s public half)', 'publicKey');
      }

      const transport = await this.finder.find(vault, blob.transportKid);
      assertImportable(transport, this.clock.now());
      checkShape(blob.bytes, transport.size / 8, spec);

      const existing = await this.keys.find(vault.id, input.name, 'any');
      if (existing) checkNewVersion(existing, spec, input.exportable);
      const exportable = existing?.exportable ?? input.exportable ?? false;
      const tentativeVersion = existing ? existing.latestVersion + 1 : 1;
      meta.keyVersion = tentativeVersion;

      const request: ImportWrappedKeyRequest = {
        pool: vault.pool,
        transportKey: { pool: transport.pool, objectId: transport.hsmObjectId },
        oaepHash: blob.oaepHash,
        blob: blob.bytes,
        target: {
          objectId: randomBytes(16).toString('hex'),
          label: `${vault.name}/${input.name}/${tentativeVersion}`,
          spec,
          usage: FULL_USAGE[spec.kty],
          exportable,
          publicJwk: declaredPublic,
        },
      };
      const imported = await this.unwrapInHsm(request);
      try {
        if (declaredPublic && imported.publicJwk && !samePublicKey(declaredPublic, imported.publicJwk)) {
          throw new ByokError(ByokErrorCode.PUBLIC_KEY_MISMATCH, 'the declared public key is not the public half of the key in the blob', { field: 'publicKey' });
        }
        return await commit(async (manager) => {
          const now = this.clock.now();
          if (!(await this.transportKeys.consume(manager, transport.id, now))) {
            // Spent, revoked or expired while the HSM worked (a concurrent import of a single-use key).
            assertImportable(await this.finder.find(vault, blob.transportKid, manager), now);
            throw new ByokError(ByokErrorCode.TRANSPORT_KEY_USED, 'the transport key was used meanwhile', { field: 'transportKid' });
          }
          let keyId: string;
          let version: number;
          if (existing) {
            const key = await this.keys.find(vault.id, input.name, 'live', manager, true);
            if (!key) throw new KeyError(KeyErrorCode.KEY_NOT_FOUND, `key ${input.name} was deleted meanwhile`);
            checkNewVersion(key, spec, input.exportable);
            keyId = key.id;
            version = key.latestVersion + 1;
            if (keyOps || tags) await this.keys.updateKey(manager, key.id, { keyOps, tags }, now);
          } else {
            const created = await this.keys.insertKey(manager, {
              vaultId: vault.id,
              name: input.name,
              spec,
              keyOps: keyOps ?? parseKeyOps(spec.kty, undefined),
              tags: tags ?? {},
              exportable,
              now,
            });
            if (!created) throw alreadyExists(input.name);
            keyId = created;
            version = 1;
          }
          meta.keyVersion = version;
          await this.keys.insertVersion(manager, {
            keyId,
            version,
            pool: vault.pool,
            hsmObjectId: imported.ref.objectId,
            enabled: input.enabled ?? true,
            nbf: input.nbf ?? null,
            exp: input.exp ?? null,
            origin: 'byok',
            publicJwk: imported.publicJwk ?? null,
            now,
          });
          const key = await this.keys.find(vault.id, input.name, 'live', manager);
          const stored = key && (await this.keys.version(key.id, version, manager));
          if (!key || !stored) throw new Error('imported key not readable in its own transaction');
          return keyView(key, stored);
        });
      } catch (error) {
        await this.hsm.destroyKey(imported.ref).catch(() => undefined);
        throw error;
      }
    });
  }

  /** The HSM's reasons for refusing a blob, as this library's codes. */
  private async unwrapInHsm(request: ImportWrappedKeyRequest): Promise<GeneratedKey> {
    try {
      return await this.hsm.importWrappedKey(request);
    } catch (error) {
      if (!(error instanceof HsmImportError)) throw error;
      const part = { field: 'blob', part: error.failure };
      switch (error.failure) {
        case 'oaep':
          throw new ByokError(
            ByokErrorCode.BLOB_INTEGRITY_FAILED,
            `the RSA-OAEP part did not decrypt under the transport key with ${request.oaepHash} (tampered, made for another transport key, or with another hash)`,
            part,
          );
        case 'kwp':
        case 'seal':
          throw new ByokError(ByokErrorCode.BLOB_INTEGRITY_FAILED, 'the AES-KWP part failed its integrity check (tampered)', part);
        case 'keyMaterial':
        case 'keyMismatch':
          throw new ByokError(ByokErrorCode.KEY_MATERIAL_MISMATCH, error.message, part);
        case 'unsupportedKey':
          throw new ByokError(ByokErrorCode.UNSUPPORTED_KEY_MATERIAL, error.message, part);
        case 'publicKeyRequired':
          throw invalidArgument(error.message, 'publicKey');
        case 'publicKeyMismatch':
          throw new ByokError(ByokErrorCode.PUBLIC_KEY_MISMATCH, error.message, { field: 'publicKey', part: error.failure });
        default:
          return assertUnreachable(error.failure);
      }
    }
  }
}

/**
 * The CKM_RSA_AES_KEY_WRAP shape for this transport key: its modulus length of OAEP, then RFC 5649 output (16 or
 * more bytes in multiples of 8). An AES key's wrap is its length plus 8, so a wrong AES size shows here already.
 */
function checkShape(bytes: Buffer, modulusBytes: number, spec: KeySpec): void {
  const kwp = bytes.length - modulusBytes;
  if (kwp < 16 || kwp % 8 !== 0) {
    throw new ByokError(
      ByokErrorCode.INVALID_BLOB,
      `a blob for this transport key is a ${modulusBytes}-byte RSA-OAEP part and an AES-KWP part of 16 or more bytes in multiples of 8; got ${bytes.length} bytes`,
      { field: 'blob' },
    );
  }
  if (spec.kty === 'oct' && kwp - 8 !== spec.bits / 8) {
    throw new ByokError(ByokErrorCode.KEY_MATERIAL_MISMATCH, `the blob does not hold an AES-${spec.bits} key (its AES-KWP part is ${kwp} bytes)`, { field: 'blob' });
  }
}

function checkNewVersion(key: KeyRecord, spec: KeySpec, exportable: boolean | null | undefined): void {
  if (key.deletedAt) throw alreadyExists(key.name);
  if (JSON.stringify(key.spec) !== JSON.stringify(spec)) {
    throw invalidArgument(`key ${key.name} exists as ${describe(key.spec)}; a new version must be the same type and size`, 'kty');
  }
  if (exportable !== null && exportable !== undefined && exportable !== key.exportable) {
    throw invalidArgument(`key ${key.name} is ${key.exportable ? '' : 'not '}exportable; a new version cannot change that`, 'exportable');
  }
}

function alreadyExists(name: string): KeyError {
  return new KeyError(KeyErrorCode.KEY_ALREADY_EXISTS, `a key named ${name} already exists in this vault, soft-deleted`);
}

function describe(spec: KeySpec): string {
  return spec.kty === 'EC' ? `EC ${spec.curve}` : `${spec.kty} ${spec.bits}`;
}


function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
