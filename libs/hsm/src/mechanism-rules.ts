import { HsmError, HsmErrorCode } from './hsm.errors';
import { CURVES } from './encoding/ec-curves';
import { EcCurve, ExportPolicy, GenerateKeyRequest, HsmMechanism, MechanismName, PoolCapabilities } from './hsm.port';

/**
 * Checks shared by the PKCS#11 adapter and the in-memory fake, so both refuse the same requests with the same
 * codes before any key is touched. Modules disagree on how they fail (SoftHSM often says CKR_GENERAL_ERROR, NSS
 * CKR_KEY_TYPE_INCONSISTENT for a missing usage); checking first keeps callers vendor-independent.
 */
export type HsmOperation = 'encrypt' | 'decrypt' | 'wrapValue' | 'unwrapValue' | 'sign' | 'verify';
export type KeyKind = 'RSA' | 'EC' | 'oct';

export interface KeyShape {
  kty: KeyKind;
  /** RSA: modulus length in bytes. */
  modulusBytes?: number;
  /** EC: the key's curve. */
  curve?: EcCurve;
}

export const HASH_BYTES = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 } as const;

const OPERATION_MECHANISMS: Record<HsmOperation, readonly MechanismName[]> = {
  encrypt: ['RSA_OAEP', 'RSA_PKCS1', 'AES_GCM'],
  decrypt: ['RSA_OAEP', 'RSA_PKCS1', 'AES_GCM'],
  wrapValue: ['AES_KEY_WRAP', 'AES_KEY_WRAP_PAD', 'RSA_OAEP', 'RSA_PKCS1'],
  unwrapValue: ['AES_KEY_WRAP', 'AES_KEY_WRAP_PAD', 'RSA_OAEP', 'RSA_PKCS1'],
  sign: ['RSA_PKCS1_SIGN', 'RSA_PSS', 'ECDSA'],
  verify: ['RSA_PKCS1_SIGN', 'RSA_PSS', 'ECDSA'],
};

const MECHANISM_KEY: Record<MechanismName, KeyKind> = {
  RSA_OAEP: 'RSA',
  RSA_PKCS1: 'RSA',
  RSA_PKCS1_SIGN: 'RSA',
  RSA_PSS: 'RSA',
  AES_KEY_WRAP: 'oct',
  AES_KEY_WRAP_PAD: 'oct',
  AES_GCM: 'oct',
  ECDSA: 'EC',
};

const GCM_TAG_BYTES = 16;

export function mechanismLabel(mechanism: HsmMechanism): string {
  switch (mechanism.name) {
    case 'RSA_OAEP':
      return `RSA_OAEP/${mechanism.hash}`;
    case 'RSA_PSS':
      return `RSA_PSS/${mechanism.hash}`;
    default:
      return mechanism.name;
  }
}

function unsupported(pool: string, what: string): HsmError {
  return new HsmError(HsmErrorCode.UNSUPPORTED_BY_HSM, `pool ${pool}: its HSM cannot ${what}`, { pool });
}

function invalid(pool: string, what: string): HsmError {
  return new HsmError(HsmErrorCode.HSM_INVALID_INPUT, what, { pool });
}

/** The mechanism fits the operation and the pool's module can do it. */
export function checkMechanism(pool: string, caps: PoolCapabilities, operation: HsmOperation, mechanism: HsmMechanism): void {
  if (!OPERATION_MECHANISMS[operation].includes(mechanism.name)) {
    throw invalid(pool, `mechanism ${mechanism.name} cannot be used to ${operation}`);
  }
  switch (mechanism.name) {
    case 'RSA_OAEP':
      if (!caps.oaepHashes.includes(mechanism.hash)) throw unsupported(pool, `do RSA-OAEP with ${mechanism.hash}`);
      return;
    case 'RSA_PKCS1':
    case 'RSA_PKCS1_SIGN':
      if (!caps.rsaPkcs1) throw unsupported(pool, 'do RSA PKCS#1 v1.5');
      return;
    case 'RSA_PSS':
      if (!caps.rsaPss) throw unsupported(pool, 'do RSA-PSS');
      return;
    case 'AES_KEY_WRAP':
      if (!caps.aesKeyWrap) throw unsupported(pool, 'do AES key wrap (RFC 3394)');
      return;
    case 'AES_KEY_WRAP_PAD':
      if (!caps.aesKeyWrapPadMechanism) throw unsupported(pool, 'do AES key wrap with padding (RFC 5649)');
      return;
    case 'AES_GCM':
      if (!caps.aesGcm) throw unsupported(pool, 'do AES-GCM');
      return;
    case 'ECDSA':
      if (caps.curves.length === 0) throw unsupported(pool, 'do ECDSA');
      return;
  }
}

/** Vendor fact (capabilities) plus operator choice (pool option allowPinOnlyExport); see ExportPolicy. */
export function exportPolicyOf(caps: PoolCapabilities, allowPinOnlyExport: boolean): ExportPolicy {
  if (caps.wrapWithTrustedEnforced) return 'trusted';
  return allowPinOnlyExport ? 'pinOnly' : 'refused';
}

export function checkKeySpec(pool: string, caps: PoolCapabilities, request: GenerateKeyRequest, exportPolicy: ExportPolicy): void {
  const { spec, usage } = request;
  if (spec.kty === 'RSA' && !caps.rsaBits.includes(spec.bits)) throw unsupported(pool, `generate RSA-${spec.bits} keys`);
  if (spec.kty === 'EC' && !caps.curves.includes(spec.curve)) throw unsupported(pool, `generate EC ${spec.curve} keys`);
  if (spec.kty === 'oct' && !caps.aesBits.includes(spec.bits)) throw unsupported(pool, `generate AES-${spec.bits} keys`);
  if (spec.kty === 'EC' && (usage.encrypt || usage.decrypt || usage.wrap || usage.unwrap)) {
    throw invalid(pool, 'EC keys can only sign and verify');
  }
  if (spec.kty === 'oct' && (usage.sign || usage.verify)) throw invalid(pool, 'AES keys cannot sign or verify');
  if (request.exportable && exportPolicy === 'refused') {
    throw unsupported(pool, 'keep an exportable key exportable only to trusted keys (CKA_WRAP_WITH_TRUSTED is not enforced; see the pool option allowPinOnlyExport)');
  }
  if (!/^(?:[0-9a-f]{2}){1,64}$/.test(request.objectId)) throw invalid(pool, 'objectId must be 1 to 64 bytes of lower-case hex');
}

/** The key's type fits the mechanism (an AES key cannot do RSA-OAEP). */
export function checkKeyType(pool: string, mechanism: HsmMechanism, kty: KeyKind): void {
  if (MECHANISM_KEY[mechanism.name] !== kty) {
    throw new HsmError(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED, `a ${kty} key cannot be used with ${mechanism.name}`, { pool });
  }
}

/** Lengths and parameters, before anything reaches the module. */
export function checkInput(
  pool: string,
  caps: PoolCapabilities,
  operation: HsmOperation,
  mechanism: HsmMechanism,
  input: Buffer,
  key: KeyShape,
): void {
  if (input.length === 0) throw invalid(pool, `${operation}: input is empty`);
  const k = key.modulusBytes;
  switch (mechanism.name) {
    case 'RSA_OAEP':
    case 'RSA_PKCS1': {
      if (k === undefined) return;
      const max = mechanism.name === 'RSA_OAEP' ? k - 2 * HASH_BYTES[mechanism.hash] - 2 : k - 11;
      if ((operation === 'encrypt' || operation === 'wrapValue') && input.length > max) {
        throw invalid(pool, `${operation}: at most ${max} bytes fit under this key with ${mechanism.name}`);
      }
      if ((operation === 'decrypt' || operation === 'unwrapValue') && input.length !== k) {
        throw invalid(pool, `${operation}: RSA ciphertext must be ${k} bytes`);
      }
      return;
    }
    case 'AES_GCM':
      if (mechanism.iv.length < 1 || mechanism.iv.length > 128) throw invalid(pool, 'AES-GCM iv must be 1 to 128 bytes');
      if (operation === 'decrypt' && input.length <= GCM_TAG_BYTES) throw invalid(pool, 'AES-GCM ciphertext is shorter than its tag');
      return;
    case 'AES_KEY_WRAP':
      if (operation === 'wrapValue' && (input.length < 16 || input.length % 8 !== 0)) {
        throw invalid(pool, 'AES key wrap (RFC 3394) needs a value of 16 or more bytes in multiples of 8');
      }
      if (operation === 'unwrapValue') {
        if (input.length < 24 || input.length % 8 !== 0) throw invalid(pool, 'an RFC 3394 wrapped value is 24 or more bytes in multiples of 8');
        if (input.length - 8 > caps.maxUnwrapValueBytes) throw unsupported(pool, `unwrap values over ${caps.maxUnwrapValueBytes} bytes`);
      }
      return;
    case 'AES_KEY_WRAP_PAD':
      if (operation === 'wrapValue' && input.length % 8 !== 0 && !caps.aesKeyWrapPadUnaligned) {
        throw unsupported(pool, 'wrap values whose length is not a multiple of 8 as RFC 5649 specifies');
      }
      if (operation === 'unwrapValue') {
        if (input.length < 16 || input.length % 8 !== 0) throw invalid(pool, 'an RFC 5649 wrapped value is 16 or more bytes in multiples of 8');
        if (input.length - 15 > caps.maxUnwrapValueBytes) throw unsupported(pool, `unwrap values over ${caps.maxUnwrapValueBytes} bytes`);
      }
      return;
    case 'RSA_PKCS1_SIGN':
      if (k !== undefined && input.length > k - 11) throw invalid(pool, `a PKCS#1 v1.5 signature covers at most ${k - 11} bytes under this key`);
      return;
    case 'RSA_PSS': {
      const h = HASH_BYTES[mechanism.hash];
      if (input.length !== h) throw invalid(pool, `RSA-PSS with ${mechanism.hash} signs a ${h}-byte digest`);
      const maxSalt = k === undefined ? h : k - h - 2;
      if (!Number.isInteger(mechanism.saltLength) || mechanism.saltLength < 0 || mechanism.saltLength > maxSalt) {
        throw invalid(pool, `RSA-PSS salt length must be 0 to ${maxSalt}`);
      }
      return;
    }
    case 'ECDSA':
      if (input.length < 16 || input.length > 64) throw invalid(pool, 'ECDSA signs a digest of 16 to 64 bytes');
      return;
  }
}

/** A signature of the wrong size cannot verify; answer false without asking the module (vendors disagree on the error). */
export function signatureLengthFits(mechanism: HsmMechanism, signature: Buffer, key: KeyShape): boolean {
  if (mechanism.name === 'ECDSA') return key.curve === undefined || signature.length === 2 * CURVES[key.curve].fieldBytes;
  return key.modulusBytes === undefined || signature.length === key.modulusBytes;
}
