import { constants, createCipheriv, createHash, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes, verify } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import { CURVES } from '../encoding/ec-curves';
import { ecPublicJwk, rsaPublicJwk } from '../encoding/public-jwk';
import { AesBits, EcCurve, OaepHash, PoolCapabilities, PublicKeyJwk, RsaBits } from '../hsm.port';
import { PoolConfig, readSecret } from '../pool-config';
import { ckrName } from '../pkcs11/ckr';
import { INPUT_REJECTION_CKRS } from '../pkcs11/hsm-error.mapper';
import { toPkcs11Mechanism } from '../pkcs11/mechanisms';
import { readUlong } from '../pkcs11/object-handle.cache';
import { MODULE_REGISTRY, Pkcs11ModuleRegistry } from '../pkcs11/pkcs11-module.registry';

type Template = pkcs11js.Template;

interface RsaProbeKey {
  privateKey: Buffer;
  jwk: PublicKeyJwk;
}

const CKM_RSA_AES_KEY_WRAP = 0x1054;
const KWP_CANDIDATES = [0x210b, 0x210a];
/** CKA_NSS_DB: NSS softokn wants the public value with an unwrapped EC private key. */
const EC_PUBLIC_VALUE_ATTRIBUTES = [0xd5a0db00];
const UNWRAP_SIZES = [4096, 2048, 1024, 512, 256, 128, 64, 32];
const KWP_IV = Buffer.from('a65959a6', 'hex');
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * Measures what a pool's module actually does, with session objects whose key values we chose, against node:crypto
 * as the reference: the source of truth for capabilities/<vendor>.ts and the way to write one for a new vendor.
 * Slow-ish (RSA and EC key generation) and synchronous: a tool and a test, never a request path.
 */
export class CapabilityProbe {
  private constructor(
    private readonly lib: pkcs11js.PKCS11,
    private readonly session: Buffer,
    private readonly slot: Buffer,
  ) {}

  static async measure(config: PoolConfig, registry: Pkcs11ModuleRegistry = MODULE_REGISTRY): Promise<PoolCapabilities> {
    const spec = { path: config.module, libraryParameters: config.libraryParameters, environment: config.environment };
    const { module, slots } = await registry.acquire(spec, [config.tokenLabel]);
    const slot = slots.get(config.tokenLabel) as Buffer;
    const lib = module.lib;
    const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      try {
        lib.C_Login(session, pkcs11js.CKU_USER, readSecret(config.pin, `pool ${config.name} PIN`));
      } catch (error) {
        if (ckrName(error) !== 'CKR_USER_ALREADY_LOGGED_IN') throw error;
      }
      return new CapabilityProbe(lib, session, slot).run(config.vendor);
    } finally {
      // Closing the session destroys every session object the probe made.
      lib.C_CloseSession(session);
      registry.release(module);
    }
  }

  private run(vendor: PoolConfig['vendor']): PoolCapabilities {
    const aesValue = randomBytes(32);
    const aes = this.create([
      ...this.secret(pkcs11js.CKK_AES),
      { type: pkcs11js.CKA_VALUE, value: aesValue },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_WRAP, value: true },
      { type: pkcs11js.CKA_UNWRAP, value: true },
    ]);
    const kwp = KWP_CANDIDATES.find((m) => this.wrapMatches(aes, m, randomBytes(24), 'id-aes256-wrap-pad', aesValue, KWP_IV)) ?? 0;
    const rsa = this.rsaPair();
    return {
      vendor,
      oaepHashes: (['SHA-1', 'SHA-256'] as OaepHash[]).filter((hash) => this.oaepDecrypts(rsa, hash)),
      rsaAesKeyWrap: this.lib.C_GetMechanismList(this.slot).includes(CKM_RSA_AES_KEY_WRAP),
      aesKeyWrapPadMechanism: kwp,
      aesKeyWrap: this.wrapMatches(aes, pkcs11js.CKM_AES_KEY_WRAP, randomBytes(32), 'id-aes256-wrap', aesValue, KW_IV),
      aesGcm: this.gcmMatches(aes, aesValue),
      rsaPss: this.attempt((session) => this.pssVerifies(session, rsa)),
      rsaPkcs1: this.attempt((session) => this.pkcs1Verifies(session, rsa)),
      curves: (Object.keys(CURVES) as EcCurve[]).filter((curve) => this.attempt((session) => this.ecdsaVerifies(session, curve))),
      rsaBits: this.rsaBits(),
      aesBits: ([128, 192, 256] as AesBits[]).filter((bits) => this.attempt((session) => this.generatesAes(session, bits))),
      aesKeyWrapPadUnaligned: kwp !== 0 && this.wrapMatches(aes, kwp, randomBytes(20), 'id-aes256-wrap-pad', aesValue, KWP_IV),
      wrapWithTrustedEnforced: this.wrapWithTrustedEnforced(aes, kwp),
      securityOfficer: this.hasSecurityOfficer(),
      maxUnwrapValueBytes: UNWRAP_SIZES.find((size) => this.unwrapsValueOf(aes, aesValue, kwp, size)) ?? 0,
      integrityFailureCkrs: this.integrityFailureCkrs(aes, aesValue, kwp, rsa),
      ecUnwrapPublicValueAttribute: this.ecUnwrapPublicValueAttribute(aes, aesValue, kwp),
    };
  }

  /**
   * Unwraps a P-256 PKCS#8 key (RFC 5649 under the probe's AES key) as a session EC private key: plainly, then with
   * each known vendor attribute carrying the public point. 0 when the plain unwrap works (or none does).
   */
  private ecUnwrapPublicValueAttribute(key: Buffer, keyValue: Buffer, kwp: number): number {
    if (!kwp) return 0;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const cipher = createCipheriv('id-aes256-wrap-pad', keyValue, KWP_IV);
    const wrapped = Buffer.concat([cipher.update(privateKey.export({ format: 'der', type: 'pkcs8' })), cipher.final()]);
    const point = publicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
    const unwraps = (extra: Template): boolean =>
      this.attempt((session) => {
        this.lib.C_UnwrapKey(session, { mechanism: kwp }, key, wrapped, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
          { type: pkcs11js.CKA_TOKEN, value: false },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_SIGN, value: true },
          ...extra,
        ]);
        return true;
      });
    if (unwraps([])) return 0;
    return EC_PUBLIC_VALUE_ATTRIBUTES.find((type) => unwraps([{ type, value: point }])) ?? 0;
  }

  private create(template: Template): Buffer {
    return this.lib.C_CreateObject(this.session, template);
  }

  private secret(keyType: number): Template {
    return [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_SENSITIVE, value: false },
      { type: pkcs11js.CKA_EXTRACTABLE, value: true },
    ];
  }

  /**
   * Runs one check on a session of its own: a failed operation may stay active on its session. Session objects
   * are visible to every session of the application, so the probe's long-lived keys stay usable.
   */
  private attempt(check: (session: Buffer) => boolean): boolean {
    const session = this.lib.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      return check(session);
    } catch {
      return false;
    } finally {
      this.lib.C_CloseSession(session);
    }
  }

  private wrapMatches(key: Buffer, mechanism: number, value: Buffer, nodeCipher: string, keyValue: Buffer, iv: Buffer): boolean {
    return this.attempt((session) => {
      const secret = this.lib.C_CreateObject(session, [...this.secret(pkcs11js.CKK_GENERIC_SECRET), { type: pkcs11js.CKA_VALUE, value }]);
      const wrapped = this.lib.C_WrapKey(session, { mechanism }, key, secret, Buffer.alloc(value.length + 64));
      const cipher = createCipheriv(nodeCipher, keyValue, iv);
      return wrapped.equals(Buffer.concat([cipher.update(value), cipher.final()]));
    });
  }

  private gcmMatches(key: Buffer, keyValue: Buffer): boolean {
    return this.attempt((session) => {
      const iv = randomBytes(12);
      const aad = randomBytes(7);
      const plaintext = randomBytes(33);
      this.lib.C_EncryptInit(session, toPkcs11Mechanism({ name: 'AES_GCM', iv, aad }, this.probeCaps(0)), key);
      const out = this.lib.C_Encrypt(session, plaintext, Buffer.alloc(128));
      const cipher = createCipheriv('aes-256-gcm', keyValue, iv);
      cipher.setAAD(aad);
      return out.equals(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
    });
  }

  private rsaPair(): RsaProbeKey {
    const pair = this.lib.C_GenerateKeyPair(
      this.session,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
      ],
      [
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: true },
        { type: pkcs11js.CKA_UNWRAP, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
      ],
    );
    const [n, e] = this.lib.C_GetAttributeValue(this.session, pair.publicKey, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
    return { privateKey: pair.privateKey, jwk: rsaPublicJwk(n.value, e.value) };
  }

  private oaepDecrypts(rsa: RsaProbeKey, hash: OaepHash): boolean {
    return this.attempt((session) => {
      const plaintext = randomBytes(32);
      const key = createPublicKey({ key: rsa.jwk, format: 'jwk' });
      const ciphertext = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash === 'SHA-1' ? 'sha1' : 'sha256' }, plaintext);
      this.lib.C_DecryptInit(session, toPkcs11Mechanism({ name: 'RSA_OAEP', hash }, this.probeCaps(0)), rsa.privateKey);
      return this.lib.C_Decrypt(session, ciphertext, Buffer.alloc(512)).equals(plaintext);
    });
  }

  private pssVerifies(session: Buffer, rsa: RsaProbeKey): boolean {
    const message = randomBytes(40);
    const digest = createHash('sha256').update(message).digest();
    this.lib.C_SignInit(session, toPkcs11Mechanism({ name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, this.probeCaps(0)), rsa.privateKey);
    const signature = this.lib.C_Sign(session, digest, Buffer.alloc(512));
    const key = createPublicKey({ key: rsa.jwk, format: 'jwk' });
    return verify('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  }

  private pkcs1Verifies(session: Buffer, rsa: RsaProbeKey): boolean {
    const message = randomBytes(40);
    const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, createHash('sha256').update(message).digest()]);
    this.lib.C_SignInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS }, rsa.privateKey);
    const signature = this.lib.C_Sign(session, digestInfo, Buffer.alloc(512));
    return verify('sha256', message, createPublicKey({ key: rsa.jwk, format: 'jwk' }), signature);
  }

  private ecdsaVerifies(session: Buffer, curve: EcCurve): boolean {
    const pair = this.lib.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_EC_PARAMS, value: CURVES[curve].oid },
        { type: pkcs11js.CKA_VERIFY, value: true },
      ],
      [
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_SIGN, value: true },
      ],
    );
    const [point] = this.lib.C_GetAttributeValue(session, pair.publicKey, [{ type: pkcs11js.CKA_EC_POINT }]);
    const message = randomBytes(40);
    this.lib.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, pair.privateKey);
    const signature = this.lib.C_Sign(session, createHash('sha256').update(message).digest(), Buffer.alloc(256));
    const key = createPublicKey({ key: ecPublicJwk(curve, point.value), format: 'jwk' });
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  }

  private rsaBits(): RsaBits[] {
    const info = this.lib.C_GetMechanismInfo(this.slot, pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN);
    return ([2048, 3072, 4096] as RsaBits[]).filter((bits) => bits >= info.minKeySize && bits <= info.maxKeySize);
  }

  private generatesAes(session: Buffer, bits: AesBits): boolean {
    const key = this.lib.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_VALUE_LEN, value: bits / 8 },
    ]);
    const [length] = this.lib.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE_LEN }]);
    return readUlong(length.value) === bits / 8;
  }

  /** Only a security officer may set CKA_TRUSTED: a user's attempt is refused (SoftHSM), or accepted (NSS softokn). */
  private hasSecurityOfficer(): boolean {
    try {
      this.create([...this.secret(pkcs11js.CKK_AES), { type: pkcs11js.CKA_VALUE, value: randomBytes(32) }, { type: pkcs11js.CKA_TRUSTED, value: true }]);
      return false;
    } catch (error) {
      const ckr = ckrName(error);
      if (ckr === 'CKR_ATTRIBUTE_READ_ONLY' || ckr === 'CKR_USER_NOT_LOGGED_IN' || ckr === 'CKR_TEMPLATE_INCONSISTENT') return true;
      throw error;
    }
  }

  private wrapWithTrustedEnforced(wrappingKey: Buffer, kwp: number): boolean {
    const guarded = this.create([
      ...this.secret(pkcs11js.CKK_AES),
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_WRAP_WITH_TRUSTED, value: true },
      { type: pkcs11js.CKA_VALUE, value: randomBytes(32) },
    ]);
    try {
      this.lib.C_WrapKey(this.session, { mechanism: kwp || pkcs11js.CKM_AES_KEY_WRAP }, wrappingKey, guarded, Buffer.alloc(128));
      return false;
    } catch (error) {
      const ckr = ckrName(error);
      if (ckr === 'CKR_KEY_NOT_WRAPPABLE' || ckr === 'CKR_KEY_UNEXTRACTABLE') return true;
      throw error;
    }
  }

  private unwrapsValueOf(key: Buffer, keyValue: Buffer, kwp: number, size: number): boolean {
    return this.attempt((session) => {
      const value = randomBytes(size);
      const cipher = kwp ? createCipheriv('id-aes256-wrap-pad', keyValue, KWP_IV) : createCipheriv('id-aes256-wrap', keyValue, KW_IV);
      const wrapped = Buffer.concat([cipher.update(value), cipher.final()]);
      const secret = this.lib.C_UnwrapKey(session, { mechanism: kwp || pkcs11js.CKM_AES_KEY_WRAP }, key, wrapped, this.secret(pkcs11js.CKK_GENERIC_SECRET));
      const [read] = this.lib.C_GetAttributeValue(session, secret, [{ type: pkcs11js.CKA_VALUE }]);
      return read.value.equals(value);
    });
  }

  /** Non-standard CKR_ names for tampered KWP blobs, GCM tags and OAEP blocks. */
  private integrityFailureCkrs(key: Buffer, keyValue: Buffer, kwp: number, rsa: RsaProbeKey): string[] {
    const seen = new Set<string>();
    // Each attempt gets its own session: a failed operation may stay active. Session objects are visible to
    // every session of the application, so the probe's keys remain usable.
    const record = (fn: (session: Buffer) => void): void => {
      const session = this.lib.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      try {
        fn(session);
      } catch (error) {
        const ckr = ckrName(error);
        if (ckr && !INPUT_REJECTION_CKRS.has(ckr)) seen.add(ckr);
      } finally {
        this.lib.C_CloseSession(session);
      }
    };
    const flip = (b: Buffer): Buffer => {
      const copy = Buffer.from(b);
      copy[copy.length >> 1] ^= 0x01;
      return copy;
    };
    if (kwp) {
      const cipher = createCipheriv('id-aes256-wrap-pad', keyValue, KWP_IV);
      const wrapped = flip(Buffer.concat([cipher.update(randomBytes(32)), cipher.final()]));
      record((session) => this.lib.C_UnwrapKey(session, { mechanism: kwp }, key, wrapped, this.secret(pkcs11js.CKK_GENERIC_SECRET)));
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyValue, iv);
    const sealed = flip(Buffer.concat([cipher.update(randomBytes(32)), cipher.final(), cipher.getAuthTag()]));
    record((session) => {
      this.lib.C_DecryptInit(session, toPkcs11Mechanism({ name: 'AES_GCM', iv, aad: Buffer.alloc(0) }, this.probeCaps(0)), key);
      this.lib.C_Decrypt(session, sealed, Buffer.alloc(128));
    });
    const block = flip(publicEncrypt({ key: createPublicKey({ key: rsa.jwk, format: 'jwk' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, randomBytes(32)));
    record((session) => {
      this.lib.C_DecryptInit(session, toPkcs11Mechanism({ name: 'RSA_OAEP', hash: 'SHA-1' }, this.probeCaps(0)), rsa.privateKey);
      this.lib.C_Decrypt(session, block, Buffer.alloc(512));
    });
    // A block numerically at or above the modulus (what a blob made for another transport key often is).
    const aboveModulus = Buffer.alloc(rsa.jwk.kty === 'RSA' ? Buffer.from(rsa.jwk.n, 'base64url').length : 0, 0xff);
    record((session) => {
      this.lib.C_DecryptInit(session, toPkcs11Mechanism({ name: 'RSA_OAEP', hash: 'SHA-1' }, this.probeCaps(0)), rsa.privateKey);
      this.lib.C_Decrypt(session, aboveModulus, Buffer.alloc(512));
    });
    return [...seen].sort();
  }


  private probeCaps(kwp: number): PoolCapabilities {
    return {
      vendor: 'generic',
      oaepHashes: [],
      rsaAesKeyWrap: false,
      aesKeyWrapPadMechanism: kwp,
      aesKeyWrap: false,
      aesGcm: false,
      rsaPss: false,
      rsaPkcs1: false,
      curves: [],
      rsaBits: [],
      aesBits: [],
      aesKeyWrapPadUnaligned: false,
      wrapWithTrustedEnforced: false,
      securityOfficer: false,
      maxUnwrapValueBytes: 0,
      integrityFailureCkrs: [],
      ecUnwrapPublicValueAttribute: 0,
    };
  }
}
