import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import { CURVES, curveByOid } from '../encoding/ec-curves';
import { ecPublicJwk, rsaPublicJwk, samePublicKey } from '../encoding/public-jwk';
import { HsmError, HsmErrorCode, HsmImportError } from '../hsm.errors';
import { ImportTarget, ImportWrappedKeyRequest, PoolCapabilities, PublicKeyJwk } from '../hsm.port';
import { describeSpec, IMPORT_RSA_BITS } from '../import-rules';
import { ckrName } from './ckr';
import { toHsmError } from './hsm-error.mapper';
import { toPkcs11Mechanism } from './mechanisms';
import { publicKeyTemplate, sessionSecretTemplate } from './key-templates';
import { KeyObjects, readUlong } from './object-handle.cache';

type Template = pkcs11js.Template;

export interface ImportSession {
  lib: pkcs11js.PKCS11;
  session: Buffer;
  caps: PoolCapabilities;
  pool: string;
}

/** What a module says when the wrapped bytes fail their integrity check (besides the vendor's own, from capabilities). */
const INTEGRITY_CKRS = new Set([
  'CKR_WRAPPED_KEY_INVALID',
  'CKR_WRAPPED_KEY_LEN_RANGE',
  'CKR_ENCRYPTED_DATA_INVALID',
  'CKR_ENCRYPTED_DATA_LEN_RANGE',
  'CKR_DATA_INVALID',
  'CKR_DATA_LEN_RANGE',
]);

/**
 * What the measured modules say when the RFC 5649 part decrypts but its plaintext is not a key of the declared type:
 * SoftHSM 2.6.1 CKR_FUNCTION_FAILED (PKCS#8 does not decode as that type); NSS softokn 3.87 CKR_TEMPLATE_INCOMPLETE
 * (PKCS#8 does not decode), CKR_TEMPLATE_INCONSISTENT / CKR_KEY_SIZE_RANGE (not an AES length), and for curves it
 * does not know CKR_DOMAIN_PARAMS_INVALID (session object) or CKR_HOST_MEMORY (token object).
 */
const KEY_MATERIAL_CKRS = new Set(['CKR_FUNCTION_FAILED', 'CKR_TEMPLATE_INCOMPLETE', 'CKR_TEMPLATE_INCONSISTENT', 'CKR_KEY_SIZE_RANGE', 'CKR_ATTRIBUTE_VALUE_INVALID']);
/** An EC key on a curve the module does not know (NSS: P-224, secp256k1). */
const UNKNOWN_CURVE_CKRS = new Set(['CKR_DOMAIN_PARAMS_INVALID', 'CKR_CURVE_NOT_SUPPORTED', 'CKR_HOST_MEMORY']);

/** Attributes that cannot be read for this object (absent, or sensitive). */
const UNREADABLE = new Set(['CKR_ATTRIBUTE_TYPE_INVALID', 'CKR_ATTRIBUTE_SENSITIVE']);

const AES_KEY_BYTES = new Set([16, 24, 32]);

/**
 * The two-step BYOK import on one session (the adapter has checked the request and the transport key's usage):
 * RSA-OAEP unwrap of the blob's first `modulusBytes` to a session-only AES key, RFC 5649 unwrap of the rest to the
 * target token object, session key destroyed in finally; then the object is checked against the declared key, its
 * usage attributes are set to the declared ones, and RSA/EC get their public object. Any failure after the unwrap
 * destroys what was made. Returns the public JWK (RSA, EC).
 *
 * CKM_RSA_AES_KEY_WRAP (capability rsaAesKeyWrap) would do both unwraps in one call, but its parameter
 * (CK_RSA_AES_KEY_WRAP_PARAMS, which points to CK_RSA_PKCS_OAEP_PARAMS) cannot be expressed with pkcs11js 2.1.7,
 * and neither measured module offers it: the two-step form is used everywhere.
 */
export async function importWrappedKey(
  s: ImportSession,
  transport: { handle: Buffer; modulusBytes: number },
  request: ImportWrappedKeyRequest,
): Promise<PublicKeyJwk | undefined> {
  const { lib, session, caps } = s;
  const { target } = request;
  const rsaPart = request.blob.subarray(0, transport.modulusBytes);
  const kwpPart = request.blob.subarray(transport.modulusBytes);

  let ephemeral: Buffer;
  try {
    ephemeral = await lib.C_UnwrapKeyAsync(session, toPkcs11Mechanism({ name: 'RSA_OAEP', hash: request.oaepHash }, caps), transport.handle, rsaPart, ephemeralTemplate());
  } catch (error) {
    throw classify(s, error, 'oaep', target);
  }
  return importUnderEphemeral(s, ephemeral, kwpPart, target);
}

/**
 * The second step of every import: RFC 5649 unwrap of `kwpPart` under the session key `ephemeral` into the target
 * token object, the ephemeral destroyed on every path, then the object checked, its usage set and its public object
 * made. Shared by BYOK/transfer imports (ephemeral from RSA-OAEP) and security-domain activation (ephemeral from the
 * recovery secret).
 */
export async function importUnderEphemeral(s: ImportSession, ephemeral: Buffer, kwpPart: Buffer, target: ImportTarget): Promise<PublicKeyJwk | undefined> {
  const { lib, session, caps } = s;
  let object: Buffer | undefined;
  let unwrapError: unknown;
  try {
    object = await lib.C_UnwrapKeyAsync(session, { mechanism: caps.aesKeyWrapPadMechanism }, ephemeral, kwpPart, targetTemplate(s.caps, target));
  } catch (error) {
    unwrapError = error;
  }
  try {
    lib.C_DestroyObject(session, ephemeral);
  } catch (destroyError) {
    // Not quietly: the raw PKCS#11 error makes the session pool close this session, which destroys its session
    // objects, instead of reusing it.
    if (object) destroyQuietly(s, object);
    throw destroyError;
  }
  if (!object) throw classify(s, unwrapError, 'kwp', target);

  try {
    checkShape(s, object, target);
    enforceUsage(s, object, target);
    return await publicPart(s, object, target);
  } catch (error) {
    destroyQuietly(s, object);
    throw error;
  }
}

/**
 * Unwraps the ephemeral key of an export (RSA-OAEP under the transport key), then the sealed value under it, and
 * returns that value (a digest the exporter chose; not a secret). Both session objects are destroyed.
 */
export async function openSeal(
  s: ImportSession,
  transport: { handle: Buffer },
  request: { oaepHash: ImportWrappedKeyRequest['oaepHash']; wrappedEphemeral: Buffer; sealed: Buffer },
): Promise<Buffer> {
  const { lib, session, caps } = s;
  let ephemeral: Buffer;
  try {
    ephemeral = await lib.C_UnwrapKeyAsync(session, toPkcs11Mechanism({ name: 'RSA_OAEP', hash: request.oaepHash }, caps), transport.handle, request.wrappedEphemeral, ephemeralTemplate());
  } catch (error) {
    throw classify(s, error, 'oaep');
  }
  try {
    let value: Buffer;
    try {
      value = await lib.C_UnwrapKeyAsync(session, { mechanism: caps.aesKeyWrapPadMechanism }, ephemeral, request.sealed, sessionSecretTemplate());
    } catch (error) {
      const ckr = ckrName(error);
      if (ckr && (INTEGRITY_CKRS.has(ckr) || caps.integrityFailureCkrs.includes(ckr))) {
        throw new HsmImportError('seal', 'the sealed digest failed its integrity check', { pool: s.pool, ckr });
      }
      throw error;
    }
    try {
      return Buffer.from(lib.C_GetAttributeValue(session, value, [{ type: pkcs11js.CKA_VALUE }])[0].value);
    } finally {
      destroyQuietly(s, value);
    }
  } finally {
    destroyQuietly(s, ephemeral);
  }
}

/** Public half of a key from its objects (the public object if there is one). */
export function readPublicKey(lib: pkcs11js.PKCS11, session: Buffer, key: KeyObjects): PublicKeyJwk | undefined {
  if (key.kty === 'oct') return undefined;
  if (key.kty === 'RSA') {
    const object = key.public ?? key.key;
    if (!object) return undefined;
    const [modulus, exponent] = lib.C_GetAttributeValue(session, object.handle, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
    return rsaPublicJwk(modulus.value, exponent.value);
  }
  if (!key.curve) return undefined;
  for (const object of [key.public, key.key]) {
    if (!object) continue;
    const point = readOptional(lib, session, object.handle, pkcs11js.CKA_EC_POINT);
    if (point) return ecPublicJwk(key.curve, point);
  }
  return undefined;
}

/** Session-only AES key for the blob's RFC 5649 part: may only unwrap, can never be read or wrapped. */
export function ephemeralTemplate(value?: Buffer): Template {
  return [
    ...(value ? [{ type: pkcs11js.CKA_VALUE, value }] : []),
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_UNWRAP, value: true },
    { type: pkcs11js.CKA_WRAP, value: false },
    { type: pkcs11js.CKA_ENCRYPT, value: false },
    { type: pkcs11js.CKA_DECRYPT, value: false },
    { type: pkcs11js.CKA_SIGN, value: false },
    { type: pkcs11js.CKA_VERIFY, value: false },
    { type: pkcs11js.CKA_DERIVE, value: false },
  ];
}

/**
 * The token object the key becomes. No CKA_VALUE_LEN or CKA_EC_PARAMS: they come from the key material (SoftHSM
 * 2.6.1 answers CKR_ATTRIBUTE_READ_ONLY to either in an unwrap template). Usage attributes are all given, since
 * SoftHSM defaults unspecified ones to true; NSS overrides some of them anyway, see enforceUsage.
 */
function targetTemplate(caps: PoolCapabilities, target: ImportTarget): Template {
  const { spec, usage } = target;
  const template: Template = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: Buffer.from(target.objectId, 'hex') },
    { type: pkcs11js.CKA_LABEL, value: target.label },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: target.exportable },
  ];
  if (target.exportable) template.push({ type: pkcs11js.CKA_WRAP_WITH_TRUSTED, value: true });
  if (spec.kty === 'oct') {
    template.push(
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_ENCRYPT, value: usage.encrypt },
      { type: pkcs11js.CKA_DECRYPT, value: usage.decrypt },
      { type: pkcs11js.CKA_WRAP, value: usage.wrap },
      { type: pkcs11js.CKA_UNWRAP, value: usage.unwrap },
      { type: pkcs11js.CKA_SIGN, value: false },
      { type: pkcs11js.CKA_VERIFY, value: false },
      { type: pkcs11js.CKA_DERIVE, value: false },
    );
    return template;
  }
  template.push(
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: spec.kty === 'RSA' ? pkcs11js.CKK_RSA : pkcs11js.CKK_EC },
    { type: pkcs11js.CKA_DECRYPT, value: usage.decrypt },
    { type: pkcs11js.CKA_UNWRAP, value: usage.unwrap },
    { type: pkcs11js.CKA_SIGN, value: usage.sign },
    { type: pkcs11js.CKA_DERIVE, value: false },
  );
  if (spec.kty === 'EC' && caps.ecUnwrapPublicValueAttribute) {
    // NSS only checks that the attribute is there; the declared point is the right value when we have it.
    const point = target.publicJwk?.kty === 'EC' ? rawEcPoint(target.publicJwk) : Buffer.from([0]);
    template.push({ type: caps.ecUnwrapPublicValueAttribute, value: point });
  }
  return template;
}

/** The object must be exactly the declared key; RSA below 2048 bits and unknown curves are never kept. */
function checkShape(s: ImportSession, object: Buffer, target: ImportTarget): void {
  const { lib, session, pool } = s;
  const { spec } = target;
  const [cls, type] = lib.C_GetAttributeValue(session, object, [{ type: pkcs11js.CKA_CLASS }, { type: pkcs11js.CKA_KEY_TYPE }]);
  const objectClass = readUlong(cls.value);
  const keyType = readUlong(type.value);
  const declared = describeSpec(spec);
  const mismatch = (actual: string): HsmImportError =>
    new HsmImportError('keyMismatch', `the key in the blob is ${actual}, not the declared ${declared}`, { pool, actual });
  const unsupported = (actual: string): HsmImportError =>
    new HsmImportError('unsupportedKey', `the key in the blob is ${actual}, which Keybridge does not accept`, { pool, actual });

  if (keyType === pkcs11js.CKK_RSA && objectClass === pkcs11js.CKO_PRIVATE_KEY) {
    const [modulus] = lib.C_GetAttributeValue(session, object, [{ type: pkcs11js.CKA_MODULUS }]);
    const bits = modulusBits(modulus.value);
    if (!IMPORT_RSA_BITS.includes(bits)) throw unsupported(`RSA ${bits}`);
    if (spec.kty !== 'RSA' || spec.bits !== bits) throw mismatch(`RSA ${bits}`);
    return;
  }
  if (keyType === pkcs11js.CKK_EC && objectClass === pkcs11js.CKO_PRIVATE_KEY) {
    const [params] = lib.C_GetAttributeValue(session, object, [{ type: pkcs11js.CKA_EC_PARAMS }]);
    const curve = curveByOid(params.value)?.curve;
    if (!curve || !s.caps.curves.includes(curve)) throw unsupported(curve ? `EC ${curve}` : `EC (curve ${params.value.toString('hex')})`);
    if (spec.kty !== 'EC' || spec.curve !== curve) throw mismatch(`EC ${curve}`);
    return;
  }
  if (keyType === pkcs11js.CKK_AES && objectClass === pkcs11js.CKO_SECRET_KEY && spec.kty === 'oct') {
    const length = readOptional(lib, session, object, pkcs11js.CKA_VALUE_LEN);
    const bytes = length ? readUlong(length) : 0;
    if (bytes > 0) {
      if (!AES_KEY_BYTES.has(bytes)) throw unsupported(`a secret of ${bytes} bytes`);
      if (bytes !== spec.bits / 8) throw mismatch(`AES ${bytes * 8}`);
      return;
    }
    // SoftHSM 2.6.1 leaves CKA_VALUE_LEN 0 on unwrapped keys and takes any length as AES. checkImport has matched the
    // wrap's length (value rounded up to 8) to the declared size; a test encryption proves the value is an AES key,
    // which leaves the declared length as the only one possible.
    if (target.usage.encrypt && !encryptsOneBlock(s, object)) throw mismatch('not an AES key of that size');
    return;
  }
  throw mismatch(objectClass === pkcs11js.CKO_SECRET_KEY ? 'a secret key' : `a key of PKCS#11 type ${keyType}`);
}

/** One AES-ECB block with the new key on this session; false when the module refuses the key for AES. */
function encryptsOneBlock(s: ImportSession, object: Buffer): boolean {
  try {
    s.lib.C_EncryptInit(s.session, { mechanism: pkcs11js.CKM_AES_ECB }, object);
  } catch (error) {
    const ckr = ckrName(error);
    if (ckr === 'CKR_MECHANISM_INVALID' || ckr === 'CKR_KEY_SIZE_RANGE' || ckr === 'CKR_KEY_TYPE_INCONSISTENT') return false;
    throw error;
  }
  s.lib.C_Encrypt(s.session, Buffer.alloc(16), Buffer.alloc(32));
  return true;
}

/**
 * Sets the declared usage where the module chose otherwise: NSS softokn 3.87 turns CKA_DERIVE on for imported EC
 * keys and CKA_DECRYPT/CKA_UNWRAP/CKA_SIGN on for imported RSA keys, whatever the template says.
 */
function enforceUsage(s: ImportSession, object: Buffer, target: ImportTarget): void {
  const { lib, session, pool } = s;
  const { usage } = target;
  const wanted: Array<[number, boolean]> =
    target.spec.kty === 'oct'
      ? [
          [pkcs11js.CKA_ENCRYPT, usage.encrypt],
          [pkcs11js.CKA_DECRYPT, usage.decrypt],
          [pkcs11js.CKA_WRAP, usage.wrap],
          [pkcs11js.CKA_UNWRAP, usage.unwrap],
          [pkcs11js.CKA_SIGN, false],
          [pkcs11js.CKA_VERIFY, false],
          [pkcs11js.CKA_DERIVE, false],
        ]
      : [
          [pkcs11js.CKA_DECRYPT, usage.decrypt],
          [pkcs11js.CKA_UNWRAP, usage.unwrap],
          [pkcs11js.CKA_SIGN, usage.sign],
          [pkcs11js.CKA_DERIVE, false],
        ];
  const current = lib.C_GetAttributeValue(session, object, wanted.map(([type]) => ({ type })));
  const differing = wanted.filter(([, value], i) => (current[i].value[0] === 1) !== value);
  if (differing.length > 0) lib.C_SetAttributeValue(session, object, differing.map(([type, value]) => ({ type, value })));
  const [sensitive, extractable] = lib.C_GetAttributeValue(session, object, [{ type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }]);
  if (sensitive.value[0] !== 1 || (extractable.value[0] === 1) !== target.exportable) {
    throw new HsmError(HsmErrorCode.HSM_ERROR, `pool ${pool}: the imported object did not get the protection attributes asked for`, { pool });
  }
}

/**
 * RSA: the public key is in the private object (CKA_MODULUS, CKA_PUBLIC_EXPONENT). EC: CKA_EC_POINT where the module
 * exposes it on the private object (neither measured module does), else the declared public key once a test
 * signature made with the new private key verifies under it. Then the public object, as generated keys have.
 */
async function publicPart(s: ImportSession, object: Buffer, target: ImportTarget): Promise<PublicKeyJwk | undefined> {
  const { lib, session, pool } = s;
  const { spec } = target;
  if (spec.kty === 'oct') return undefined;
  let jwk: PublicKeyJwk;
  if (spec.kty === 'RSA') {
    const [modulus, exponent] = lib.C_GetAttributeValue(session, object, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
    jwk = rsaPublicJwk(modulus.value, exponent.value);
  } else {
    const point = readOptional(lib, session, object, pkcs11js.CKA_EC_POINT);
    const declared = target.publicJwk;
    if (point) {
      jwk = ecPublicJwk(spec.curve, point);
      if (declared && !samePublicKey(jwk, declared)) throw new HsmImportError('publicKeyMismatch', 'the declared public key is not the public half of the imported key', { pool });
    } else {
      if (!declared) throw new HsmImportError('publicKeyRequired', `pool ${pool}: EC imports need the declared public key (the module does not expose it)`, { pool });
      if (!(await signatureVerifies(s, object, declared))) {
        throw new HsmImportError('publicKeyMismatch', 'the declared public key is not the public half of the imported key (test signature does not verify)', { pool });
      }
      jwk = declared;
    }
  }
  lib.C_CreateObject(session, publicTemplate(target, jwk));
  return jwk;
}

async function signatureVerifies(s: ImportSession, object: Buffer, declared: PublicKeyJwk): Promise<boolean> {
  const message = randomBytes(32);
  const digest = createHash('sha256').update(message).digest();
  s.lib.C_SignInit(s.session, { mechanism: pkcs11js.CKM_ECDSA }, object);
  const signature = await s.lib.C_SignAsync(s.session, digest, Buffer.alloc(160));
  return verify('sha256', message, { key: createPublicKey({ key: declared, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature);
}

function publicTemplate(target: ImportTarget, jwk: PublicKeyJwk): Template {
  const template = publicKeyTemplate(target);
  if (jwk.kty === 'RSA') {
    template.push(
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      { type: pkcs11js.CKA_MODULUS, value: Buffer.from(jwk.n, 'base64url') },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from(jwk.e, 'base64url') },
    );
  } else {
    const point = rawEcPoint(jwk);
    const length = point.length < 128 ? Buffer.from([point.length]) : Buffer.from([0x81, point.length]);
    template.push(
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
      { type: pkcs11js.CKA_EC_PARAMS, value: CURVES[jwk.crv].oid },
      { type: pkcs11js.CKA_EC_POINT, value: Buffer.concat([Buffer.from([0x04]), length, point]) },
    );
  }
  return template;
}

/** 04 || x || y, coordinates left-padded to the field size. */
function rawEcPoint(jwk: Extract<PublicKeyJwk, { kty: 'EC' }>): Buffer {
  const size = CURVES[jwk.crv].fieldBytes;
  const pad = (value: string): Buffer => {
    const bytes = Buffer.from(value, 'base64url');
    return bytes.length >= size ? bytes.subarray(bytes.length - size) : Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
  };
  return Buffer.concat([Buffer.from([0x04]), pad(jwk.x), pad(jwk.y)]);
}


function modulusBits(modulus: Buffer): number {
  let i = 0;
  while (i < modulus.length - 1 && modulus[i] === 0) i++;
  const top = modulus[i];
  return (modulus.length - i - 1) * 8 + (top === 0 ? 0 : 32 - Math.clz32(top));
}

function readOptional(lib: pkcs11js.PKCS11, session: Buffer, object: Buffer, type: number): Buffer | undefined {
  try {
    const [attribute] = lib.C_GetAttributeValue(session, object, [{ type }]);
    return attribute.value.length > 0 ? Buffer.from(attribute.value) : undefined;
  } catch (error) {
    if (UNREADABLE.has(ckrName(error) ?? '')) return undefined;
    throw error;
  }
}

/** Integrity failures of either part, and unusable key material, become HsmImportError; the rest the usual mapping. */
function classify(s: ImportSession, error: unknown, part: 'oaep' | 'kwp', target?: ImportTarget): HsmError {
  const ckr = ckrName(error);
  const details = { pool: s.pool, ckr: ckr ?? 'none' };
  if (ckr && (INTEGRITY_CKRS.has(ckr) || s.caps.integrityFailureCkrs.includes(ckr) || (part === 'oaep' && ckr === 'CKR_KEY_SIZE_RANGE'))) {
    return part === 'oaep'
      ? new HsmImportError('oaep', 'the RSA-OAEP part of the blob did not decrypt under the transport key with this hash', details)
      : new HsmImportError('kwp', 'the AES-KWP part of the blob failed its integrity check', details);
  }
  if (ckr && part === 'kwp' && target?.spec.kty === 'EC' && UNKNOWN_CURVE_CKRS.has(ckr)) {
    return new HsmImportError('unsupportedKey', 'the key in the blob is on a curve this HSM does not support', details);
  }
  if (ckr && part === 'kwp' && KEY_MATERIAL_CKRS.has(ckr)) {
    return new HsmImportError('keyMaterial', 'the key material in the blob is not a key of the declared type that this HSM accepts', details);
  }
  return toHsmError(error, { pool: s.pool, operation: 'importWrappedKey', capabilities: s.caps });
}

function destroyQuietly(s: ImportSession, object: Buffer): void {
  try {
    s.lib.C_DestroyObject(s.session, object);
  } catch {
    // reported by the error being thrown; a token object left here would be found by its label
  }
}
