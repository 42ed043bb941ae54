import {
  CipherGCMTypes,
  constants,
  createCipheriv,
  createDecipheriv,
  generateKeyPair,
  KeyObject,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { promisify } from 'node:util';
import { GENERIC_CAPABILITIES } from '../capabilities/generic';
import { CURVES } from '../encoding/ec-curves';
import { HsmError, HsmErrorCode } from '../hsm.errors';
import {
  GeneratedDataKey,
  GeneratedKey,
  GenerateKeyRequest,
  HsmKeyRef,
  HsmMechanism,
  HsmObjectAttributes,
  HsmPort,
  KeySpec,
  KeyUsage,
  PoolCapabilities,
  PoolHealth,
  PoolInfo,
  PublicKeyJwk,
  RewrapItemResult,
} from '../hsm.port';
import { checkInput, checkKeySpec, checkKeyType, checkMechanism, exportPolicyOf, HsmOperation, KeyShape, signatureLengthFits } from '../mechanism-rules';
import { createPrivateKey, createPublicKey as createPublicKeyObject } from 'node:crypto';
import { HsmImportError } from '../hsm.errors';
import type { EcCurve, ExportedKeys, ExportKeysRequest, ImportKeyWithSecretRequest, ImportTarget, ImportWrappedKeyRequest, OpenSealRequest, WrapKeysWithSecretRequest } from '../hsm.port';
import { checkExport, checkExportPolicy, checkSecret } from '../export-rules';
import { checkImport, describeSpec, IMPORT_RSA_BITS } from '../import-rules';
import { pssEncode, pssVerify } from './emsa-pss';
import { signDigest, toBig, verifyDigest } from './raw-ecdsa';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface FakePoolOptions {
  name: string;
  tokenLabel?: string;
  /** Whole or partial override of GENERIC_CAPABILITIES, e.g. SOFTHSM2_CAPABILITIES for a "softhsm2-like" pool. */
  capabilities?: Partial<PoolCapabilities>;
  /** Pool option allowPinOnlyExport (for capabilities that do not enforce CKA_WRAP_WITH_TRUSTED). */
  allowPinOnlyExport?: boolean;
  /** A security-officer PIN source is configured; default true. */
  securityOfficerConfigured?: boolean;
}

interface FakeKey extends KeyShape {
  spec: KeySpec;
  usage: KeyUsage;
  exportable: boolean;
  secret?: Buffer;
  privateKey?: KeyObject;
  publicKey?: KeyObject;
  publicJwk?: PublicKeyJwk;
}

interface FakePool {
  info: PoolInfo;
  keys: Map<string, FakeKey>;
}

const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const KWP_IV = Buffer.from('a65959a6', 'hex');
const OBJECT_ID = /^(?:[0-9a-f]{2}){1,64}$/;

/**
 * In-memory HsmPort on node:crypto for small specs. Same checks, codes and byte formats as the PKCS#11 adapter
 * (AES-GCM ct||tag, RFC 3394/5649 wrap, OAEP, PKCS#1 v1.5 over a caller-built DigestInfo, PSS and ECDSA r||s over
 * a digest), so a blob made by the fake is what a real pool would make. Keys live in memory: never use in production.
 */
export class FakeHsm implements HsmPort {
  private readonly poolsByName = new Map<string, FakePool>();
  private closed = false;

  constructor(pools: FakePoolOptions[] = [{ name: 'pool-a' }]) {
    for (const pool of pools) {
      const capabilities = { ...GENERIC_CAPABILITIES, ...pool.capabilities };
      const info: PoolInfo = {
        name: pool.name,
        tokenLabel: pool.tokenLabel ?? pool.name,
        capabilities,
        exportPolicy: exportPolicyOf(capabilities, pool.allowPinOnlyExport ?? false),
        securityOfficerConfigured: pool.securityOfficerConfigured ?? true,
      };
      this.poolsByName.set(pool.name, { info, keys: new Map() });
    }
  }

  pools(): PoolInfo[] {
    return [...this.poolsByName.values()].map((p) => p.info);
  }

  capabilities(pool: string): PoolCapabilities {
    return this.pool(pool).info.capabilities;
  }

  async health(): Promise<PoolHealth[]> {
    return this.pools().map((p) => ({ pool: p.name, loggedIn: !this.closed }));
  }

  async generateKey(request: GenerateKeyRequest): Promise<GeneratedKey> {
    const pool = this.pool(request.pool);
    checkKeySpec(pool.info.name, pool.info.capabilities, request, pool.info.exportPolicy);
    if (pool.keys.has(request.objectId)) throw invalid(pool, 'objectId is already in use');
    const { spec } = request;
    const key: FakeKey = { kty: spec.kty, spec, usage: { ...request.usage }, exportable: request.exportable };
    if (spec.kty === 'oct') {
      key.secret = randomBytes(spec.bits / 8);
    } else {
      const pair =
        spec.kty === 'RSA'
          ? await generateKeyPairAsync('rsa', { modulusLength: spec.bits, publicExponent: 65537 })
          : await generateKeyPairAsync('ec', { namedCurve: CURVES[spec.curve].nodeName });
      key.privateKey = pair.privateKey;
      key.publicKey = pair.publicKey;
      const jwk = pair.publicKey.export({ format: 'jwk' });
      key.publicJwk =
        spec.kty === 'RSA'
          ? { kty: 'RSA', n: String(jwk.n), e: String(jwk.e) }
          : { kty: 'EC', crv: spec.curve, x: String(jwk.x), y: String(jwk.y) };
      if (spec.kty === 'RSA') key.modulusBytes = spec.bits / 8;
      else key.curve = spec.curve;
    }
    pool.keys.set(request.objectId, key);
    return { ref: { pool: pool.info.name, objectId: request.objectId }, publicJwk: key.publicJwk };
  }

  async destroyKey(ref: HsmKeyRef): Promise<void> {
    const pool = this.pool(ref.pool);
    pool.keys.delete(objectId(pool, ref));
  }

  async exists(ref: HsmKeyRef): Promise<boolean> {
    const pool = this.pool(ref.pool);
    return pool.keys.has(objectId(pool, ref));
  }

  async attributes(ref: HsmKeyRef): Promise<HsmObjectAttributes> {
    const { key } = this.key(ref);
    return {
      token: true,
      sensitive: true,
      extractable: key.exportable,
      wrapWithTrusted: key.exportable,
      neverExtractable: !key.exportable,
      alwaysSensitive: true,
    };
  }

  // --- BYOK import (importWrappedKey, publicKeyOf) ---------------------------------------------------------------

  /** The adapter's checks and failure kinds; the unwrap happens in node:crypto here, never in the real adapter. */
  async importWrappedKey(request: ImportWrappedKeyRequest): Promise<GeneratedKey> {
    const pool = this.pool(request.pool);
    const { name, capabilities } = pool.info;
    const { target } = request;
    const { key: transport } = this.key(request.transportKey);
    if (transport.kty !== 'RSA' || !transport.usage.unwrap || !transport.privateKey || transport.modulusBytes === undefined) {
      throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${name}: the key does not permit unwrap`, { pool: name, usage: 'unwrap' });
    }
    checkImport(name, capabilities, pool.info.exportPolicy, request, transport.modulusBytes);
    objectId(pool, { pool: name, objectId: target.objectId });
    if (pool.keys.has(target.objectId)) throw invalid(pool, 'objectId is already in use');
    const k = transport.modulusBytes;
    let ephemeral: Buffer;
    try {
      ephemeral = privateDecrypt({ key: transport.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(request.oaepHash) }, request.blob.subarray(0, k));
      if (![16, 24, 32].includes(ephemeral.length)) throw new Error('not an AES key');
    } catch {
      throw new HsmImportError('oaep', 'the RSA-OAEP part of the blob did not decrypt under the transport key with this hash', { pool: name });
    }
    let material: Buffer;
    try {
      const decipher = createDecipheriv(`id-aes${ephemeral.length * 8}-wrap-pad`, ephemeral, KWP_IV);
      material = Buffer.concat([decipher.update(request.blob.subarray(k)), decipher.final()]);
    } catch {
      throw new HsmImportError('kwp', 'the AES-KWP part of the blob failed its integrity check', { pool: name });
    } finally {
      ephemeral.fill(0);
    }
    return this.keepImported(pool, target, material);
  }

  /** The checks after an unwrap: the material must be exactly the declared key; then it is kept under target.objectId. */
  private keepImported(pool: FakePool, target: ImportTarget, material: Buffer): GeneratedKey {
    const { name, capabilities } = pool.info;
    const { spec } = target;
    const declared = describeSpec(spec);
    const mismatch = (actual: string): HsmImportError =>
      new HsmImportError('keyMismatch', `the key in the blob is ${actual}, not the declared ${declared}`, { pool: name, actual });
    const unsupported = (actual: string): HsmImportError =>
      new HsmImportError('unsupportedKey', `the key in the blob is ${actual}, which Keybridge does not accept`, { pool: name, actual });
    const key: FakeKey = { kty: spec.kty, spec, usage: { ...target.usage }, exportable: target.exportable };
    if (spec.kty === 'oct') {
      if (![16, 24, 32].includes(material.length)) throw unsupported(`a secret of ${material.length} bytes`);
      if (material.length !== spec.bits / 8) throw mismatch(`AES ${material.length * 8}`);
      key.secret = material;
    } else {
      let privateKey: KeyObject;
      try {
        privateKey = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
      } catch {
        throw new HsmImportError('keyMaterial', 'the key material in the blob is not a key of the declared type that this HSM accepts', { pool: name });
      }
      const details = privateKey.asymmetricKeyDetails ?? {};
      if (privateKey.asymmetricKeyType === 'rsa') {
        const bits = details.modulusLength ?? 0;
        if (!IMPORT_RSA_BITS.includes(bits)) throw unsupported(`RSA ${bits}`);
        if (spec.kty !== 'RSA' || spec.bits !== bits) throw mismatch(`RSA ${bits}`);
        key.modulusBytes = bits / 8;
      } else if (privateKey.asymmetricKeyType === 'ec') {
        const curve = (Object.keys(CURVES) as EcCurve[]).find((c) => CURVES[c].nodeName === details.namedCurve);
        if (!curve || !capabilities.curves.includes(curve)) throw unsupported(curve ? `EC ${curve}` : `EC (curve ${details.namedCurve ?? 'unknown'})`);
        if (spec.kty !== 'EC' || spec.curve !== curve) throw mismatch(`EC ${curve}`);
        key.curve = curve;
      } else {
        throw mismatch(`a ${privateKey.asymmetricKeyType ?? 'unknown'} key`);
      }
      const publicKey = createPublicKeyObject(privateKey);
      const jwk = publicKey.export({ format: 'jwk' });
      if (spec.kty === 'EC') {
        // Like the measured modules: no CKA_EC_POINT on private keys, so the declared public key is required.
        if (!target.publicJwk) throw new HsmImportError('publicKeyRequired', `pool ${name}: EC imports need the declared public key`, { pool: name });
        if (!createPublicKeyObject({ key: target.publicJwk, format: 'jwk' }).equals(publicKey)) {
          throw new HsmImportError('publicKeyMismatch', 'the declared public key is not the public half of the imported key', { pool: name });
        }
        key.publicJwk = { kty: 'EC', crv: spec.curve, x: String(jwk.x), y: String(jwk.y) };
      } else {
        key.publicJwk = { kty: 'RSA', n: String(jwk.n), e: String(jwk.e) };
      }
      key.privateKey = privateKey;
      key.publicKey = publicKey;
    }
    pool.keys.set(target.objectId, key);
    return { ref: { pool: name, objectId: target.objectId }, publicJwk: key.publicJwk };
  }

  /** Same refusals as the adapter; E and the wraps are made with node:crypto (an RSA key's material as PKCS#8). */
  async exportKeys(request: ExportKeysRequest): Promise<ExportedKeys> {
    const pool = this.pool(request.pool);
    const { name, capabilities } = pool.info;
    checkExport(name, capabilities, pool.info.exportPolicy, pool.info.securityOfficerConfigured, request);
    const materials = request.keys.map((ref) => this.exportableMaterial(ref));
    const ephemeral = randomBytes(32);
    const wrappedEphemeral = publicEncrypt(
      { key: createPublicKeyObject({ key: request.recipient, format: 'jwk' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(request.oaepHash) },
      ephemeral,
    );
    const wrappedKeys = materials.map((material) => kwpWrap(ephemeral, material));
    const seal = request.seal?.({ wrappedEphemeral, wrappedKeys });
    return { wrappedEphemeral, wrappedKeys, sealed: seal && kwpWrap(ephemeral, seal), securityOfficerUsed: pool.info.exportPolicy === 'trusted' };
  }

  async openSeal(request: OpenSealRequest): Promise<Buffer> {
    const { pool, key: transport } = this.key(request.transportKey);
    const name = pool.info.name;
    if (!transport.privateKey || !transport.usage.unwrap) throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${name}: the key does not permit unwrap`, { pool: name });
    let ephemeral: Buffer;
    try {
      ephemeral = privateDecrypt({ key: transport.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(request.oaepHash) }, request.wrappedEphemeral);
    } catch {
      throw new HsmImportError('oaep', 'the RSA-OAEP part did not decrypt under the transport key with this hash', { pool: name });
    }
    try {
      return kwpUnwrap(ephemeral, request.sealed);
    } catch {
      throw new HsmImportError('seal', 'the sealed digest failed its integrity check', { pool: name });
    }
  }

  async wrapKeysWithSecret(request: WrapKeysWithSecretRequest): Promise<Buffer[]> {
    const pool = this.pool(request.pool);
    checkExportPolicy(pool.info.name, pool.info.exportPolicy, pool.info.securityOfficerConfigured);
    checkSecret(pool.info.name, request.secret);
    return request.keys.map((ref) => kwpWrap(request.secret, this.exportableMaterial(ref)));
  }

  async importKeyWithSecret(request: ImportKeyWithSecretRequest): Promise<GeneratedKey> {
    const pool = this.pool(request.pool);
    checkSecret(pool.info.name, request.secret);
    checkKeySpec(pool.info.name, pool.info.capabilities, { pool: pool.info.name, ...request.target }, pool.info.exportPolicy);
    if (pool.keys.has(request.target.objectId)) throw invalid(pool, 'objectId is already in use');
    let material: Buffer;
    try {
      material = kwpUnwrap(request.secret, request.wrapped);
    } catch {
      throw new HsmImportError('kwp', 'the AES-KWP part failed its integrity check', { pool: pool.info.name });
    }
    return this.keepImported(pool, request.target, material);
  }

  private exportableMaterial(ref: HsmKeyRef): Buffer {
    const { pool, key } = this.key(ref);
    if (!key.exportable) throw new HsmError(HsmErrorCode.EXPORT_REFUSED, `pool ${pool.info.name}: the HSM refuses to let the key leave (CKR_KEY_UNEXTRACTABLE)`, { pool: pool.info.name });
    return key.secret ?? (key.privateKey as KeyObject).export({ format: 'der', type: 'pkcs8' });
  }

  async keyCheckValue(ref: HsmKeyRef): Promise<Buffer> {
    const { pool, key } = this.key(ref);
    if (!key.secret || !key.usage.encrypt) {
      throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${pool.info.name}: a key check value needs an AES key that may encrypt`, { pool: pool.info.name });
    }
    const cipher = createCipheriv(`aes-${key.secret.length * 8}-ecb`, key.secret, null).setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.alloc(16)), cipher.final()]);
  }

  async publicKeyOf(ref: HsmKeyRef): Promise<PublicKeyJwk | undefined> {
    return this.key(ref).key.publicJwk;
  }

  // --- end of BYOK import ------------------------------------------------------------------------------------------

  async encrypt(ref: HsmKeyRef, mechanism: HsmMechanism, plaintext: Buffer): Promise<Buffer> {
    const key = this.checked(ref, 'encrypt', mechanism, plaintext, 'encrypt');
    if (mechanism.name === 'AES_GCM') {
      const cipher = createCipheriv(gcmCipher(key), secret(key), mechanism.iv);
      cipher.setAAD(mechanism.aad);
      return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    }
    return this.rsaEncrypt(key, mechanism, plaintext);
  }

  async decrypt(ref: HsmKeyRef, mechanism: HsmMechanism, ciphertext: Buffer): Promise<Buffer> {
    const key = this.checked(ref, 'decrypt', mechanism, ciphertext, 'decrypt');
    return rejectingInput(ref, 'decrypt', () => {
      if (mechanism.name === 'AES_GCM') {
        const decipher = createDecipheriv(gcmCipher(key), secret(key), mechanism.iv);
        decipher.setAAD(mechanism.aad);
        decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
        return Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
      }
      return this.rsaDecrypt(key, mechanism, ciphertext);
    });
  }

  async wrapValue(ref: HsmKeyRef, mechanism: HsmMechanism, value: Buffer): Promise<Buffer> {
    const key = this.checked(ref, 'wrapValue', mechanism, value, 'wrap');
    if (mechanism.name === 'AES_KEY_WRAP' || mechanism.name === 'AES_KEY_WRAP_PAD') {
      const cipher = createCipheriv(aesWrapCipher(key, mechanism.name), secret(key), mechanism.name === 'AES_KEY_WRAP' ? KW_IV : KWP_IV);
      return Buffer.concat([cipher.update(value), cipher.final()]);
    }
    return this.rsaEncrypt(key, mechanism, value);
  }

  async unwrapValue(ref: HsmKeyRef, mechanism: HsmMechanism, wrapped: Buffer): Promise<Buffer> {
    const key = this.checked(ref, 'unwrapValue', mechanism, wrapped, 'unwrap');
    return rejectingInput(ref, 'unwrapValue', () => {
      if (mechanism.name === 'AES_KEY_WRAP' || mechanism.name === 'AES_KEY_WRAP_PAD') {
        const decipher = createDecipheriv(aesWrapCipher(key, mechanism.name), secret(key), mechanism.name === 'AES_KEY_WRAP' ? KW_IV : KWP_IV);
        return Buffer.concat([decipher.update(wrapped), decipher.final()]);
      }
      return this.rsaDecrypt(key, mechanism, wrapped);
    });
  }

  async sign(ref: HsmKeyRef, mechanism: HsmMechanism, input: Buffer): Promise<Buffer> {
    const key = this.checked(ref, 'sign', mechanism, input, 'sign');
    const privateKey = key.privateKey as KeyObject;
    switch (mechanism.name) {
      case 'RSA_PKCS1_SIGN':
        return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, input);
      case 'RSA_PSS':
        return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, pad(pssEncode(mechanism.hash, input, mechanism.saltLength, modBits(key)), key));
      default:
        return signDigest(key.curve as NonNullable<FakeKey['curve']>, toBig(Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url')), input);
    }
  }

  async verify(ref: HsmKeyRef, mechanism: HsmMechanism, input: Buffer, signature: Buffer): Promise<boolean> {
    const key = this.checked(ref, 'verify', mechanism, input, 'verify');
    if (!signatureLengthFits(mechanism, signature, key)) return false;
    const publicKey = key.publicKey as KeyObject;
    try {
      switch (mechanism.name) {
        case 'RSA_PKCS1_SIGN':
          return publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature).equals(input);
        case 'RSA_PSS': {
          const em = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
          return pssVerify(mechanism.hash, input, mechanism.saltLength, modBits(key), em.subarray(em.length - Math.ceil((modBits(key) - 1) / 8)));
        }
        default: {
          const jwk = publicKey.export({ format: 'jwk' });
          const q = { x: toBig(Buffer.from(String(jwk.x), 'base64url')), y: toBig(Buffer.from(String(jwk.y), 'base64url')) };
          return verifyDigest(key.curve as NonNullable<FakeKey['curve']>, q, input, signature);
        }
      }
    } catch {
      return false;
    }
  }

  async generateDataKey(ref: HsmKeyRef, mechanism: HsmMechanism, bytes: number): Promise<GeneratedDataKey> {
    if (![16, 24, 32].includes(bytes)) throw invalid(this.pool(ref.pool), 'a data key is 16, 24 or 32 bytes');
    const value = randomBytes(bytes);
    return { value, wrapped: await this.wrapValue(ref, mechanism, value) };
  }

  async rewrap(from: HsmKeyRef, fromMechanism: HsmMechanism, wrapped: Buffer, to: HsmKeyRef, toMechanism: HsmMechanism): Promise<Buffer> {
    const [result] = await this.rewrapBatch(from, fromMechanism, [wrapped], to, toMechanism);
    if (!result.ok) throw result.error;
    return result.wrapped;
  }

  /** Same order of checks as the adapter; the value passes through node:crypto here, never in the real adapter. */
  async rewrapBatch(from: HsmKeyRef, fromMechanism: HsmMechanism, wrapped: Buffer[], to: HsmKeyRef, toMechanism: HsmMechanism): Promise<RewrapItemResult[]> {
    const pool = this.pool(from.pool);
    if (to.pool !== from.pool) {
      throw new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${from.pool}: cannot rewrap to a key in pool ${to.pool} (no transfer key between the pools)`, {
        pool: from.pool,
      });
    }
    checkMechanism(pool.info.name, pool.info.capabilities, 'unwrapValue', fromMechanism);
    checkMechanism(pool.info.name, pool.info.capabilities, 'wrapValue', toMechanism);
    const source = this.key(from).key;
    const target = this.key(to).key;
    checkKeyType(pool.info.name, fromMechanism, source.kty);
    checkKeyType(pool.info.name, toMechanism, target.kty);
    if (!source.usage.unwrap || !target.usage.wrap) {
      throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${pool.info.name}: the key does not permit ${source.usage.unwrap ? 'wrap' : 'unwrap'}`, {
        pool: pool.info.name,
      });
    }
    const results: RewrapItemResult[] = [];
    for (const item of wrapped) {
      try {
        const value = await this.unwrapValue(from, fromMechanism, item);
        results.push({ ok: true, wrapped: await this.wrapValue(to, toMechanism, value) });
      } catch (error) {
        if (!(error instanceof HsmError)) throw error;
        results.push({ ok: false, error });
      }
    }
    return results;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private pool(name: string): FakePool {
    if (this.closed) throw new HsmError(HsmErrorCode.HSM_ERROR, `pool ${name} is closed`, { pool: name });
    const pool = this.poolsByName.get(name);
    if (!pool) throw new HsmError(HsmErrorCode.POOL_NOT_FOUND, `no HSM pool named ${JSON.stringify(name)}`, { pool: name });
    return pool;
  }

  private key(ref: HsmKeyRef): { pool: FakePool; key: FakeKey } {
    const pool = this.pool(ref.pool);
    const key = pool.keys.get(objectId(pool, ref));
    if (!key) {
      throw new HsmError(HsmErrorCode.HSM_OBJECT_NOT_FOUND, `pool ${ref.pool} has no key object ${ref.objectId}`, { pool: ref.pool, objectId: ref.objectId });
    }
    return { pool, key };
  }

  /** The adapter's order: capability, key, key type, usage, input. */
  private checked(ref: HsmKeyRef, operation: HsmOperation, mechanism: HsmMechanism, input: Buffer, usage: keyof KeyUsage): FakeKey {
    const { name, capabilities } = this.pool(ref.pool).info;
    checkMechanism(name, capabilities, operation, mechanism);
    const { key } = this.key(ref);
    checkKeyType(name, mechanism, key.kty);
    if (!key.usage[usage]) {
      throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `pool ${name}: the key does not permit ${usage}`, { pool: name, usage });
    }
    checkInput(name, capabilities, operation, mechanism, input, key);
    return key;
  }

  private rsaEncrypt(key: FakeKey, mechanism: HsmMechanism, data: Buffer): Buffer {
    const publicKey = key.publicKey as KeyObject;
    if (mechanism.name === 'RSA_OAEP') {
      return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(mechanism.hash) }, data);
    }
    return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, data);
  }

  private rsaDecrypt(key: FakeKey, mechanism: HsmMechanism, data: Buffer): Buffer {
    const privateKey = key.privateKey as KeyObject;
    if (mechanism.name === 'RSA_OAEP') {
      return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(mechanism.hash) }, data);
    }
    // Node 20 refuses PKCS#1 v1.5 private decryption (CVE-2023-46809): undo the padding by hand.
    const block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, data);
    const separator = block.indexOf(0, 2);
    if (block[0] !== 0 || block[1] !== 2 || separator < 10) throw new Error('bad PKCS#1 v1.5 padding');
    return block.subarray(separator + 1);
  }
}

function kwpWrap(key: Buffer, value: Buffer): Buffer {
  const cipher = createCipheriv(`id-aes${key.length * 8}-wrap-pad`, key, KWP_IV);
  return Buffer.concat([cipher.update(value), cipher.final()]);
}

function kwpUnwrap(key: Buffer, wrapped: Buffer): Buffer {
  const decipher = createDecipheriv(`id-aes${key.length * 8}-wrap-pad`, key, KWP_IV);
  return Buffer.concat([decipher.update(wrapped), decipher.final()]);
}

function objectId(pool: FakePool, ref: HsmKeyRef): string {
  if (!OBJECT_ID.test(ref.objectId)) throw invalid(pool, 'objectId must be 1 to 64 bytes of lower-case hex');
  return ref.objectId;
}

function invalid(pool: FakePool, message: string): HsmError {
  return new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${pool.info.name}: ${message}`, { pool: pool.info.name });
}

function secret(key: FakeKey): Buffer {
  return key.secret as Buffer;
}

function gcmCipher(key: FakeKey): CipherGCMTypes {
  const names: Record<number, CipherGCMTypes> = { 16: 'aes-128-gcm', 24: 'aes-192-gcm', 32: 'aes-256-gcm' };
  return names[secret(key).length];
}

function aesWrapCipher(key: FakeKey, name: 'AES_KEY_WRAP' | 'AES_KEY_WRAP_PAD'): string {
  return `id-aes${secret(key).length * 8}-wrap${name === 'AES_KEY_WRAP_PAD' ? '-pad' : ''}`;
}

function oaepHash(hash: 'SHA-1' | 'SHA-256'): string {
  return hash === 'SHA-1' ? 'sha1' : 'sha256';
}

function modBits(key: FakeKey): number {
  return (key.modulusBytes as number) * 8;
}

/** Raw RSA takes exactly k bytes; EM is one shorter when modBits - 1 is a multiple of 8. */
function pad(em: Buffer, key: FakeKey): Buffer {
  const k = key.modulusBytes as number;
  return em.length === k ? em : Buffer.concat([Buffer.alloc(k - em.length), em]);
}

function rejectingInput<T>(ref: HsmKeyRef, operation: string, fn: () => T): T {
  try {
    return fn();
  } catch {
    throw new HsmError(HsmErrorCode.HSM_INVALID_INPUT, `pool ${ref.pool}: the HSM rejected the input of ${operation}`, { pool: ref.pool });
  }
}
