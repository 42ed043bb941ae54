import { GENERIC_CAPABILITIES } from './capabilities/generic';
import { NSS_CAPABILITIES } from './capabilities/nss';
import { SOFTHSM2_CAPABILITIES } from './capabilities/softhsm2';
import { HsmErrorCode } from './hsm.errors';
import { GenerateKeyRequest, HsmMechanism, PoolCapabilities } from './hsm.port';
import { checkInput, checkKeySpec, checkKeyType, checkMechanism, exportPolicyOf, signatureLengthFits } from './mechanism-rules';

const request = (over: Partial<GenerateKeyRequest>): GenerateKeyRequest => ({
  pool: 'p',
  objectId: 'ab',
  label: 'l',
  spec: { kty: 'oct', bits: 256 },
  usage: { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false },
  exportable: false,
  ...over,
});
const code = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('checkMechanism', () => {
  it.each([
    ['softhsm2 OAEP SHA-256', SOFTHSM2_CAPABILITIES, 'decrypt', { name: 'RSA_OAEP', hash: 'SHA-256' }, HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['softhsm2 OAEP SHA-1', SOFTHSM2_CAPABILITIES, 'decrypt', { name: 'RSA_OAEP', hash: 'SHA-1' }, undefined],
    ['nss OAEP SHA-256', NSS_CAPABILITIES, 'unwrapValue', { name: 'RSA_OAEP', hash: 'SHA-256' }, undefined],
    ['no GCM', { ...GENERIC_CAPABILITIES, aesGcm: false }, 'encrypt', { name: 'AES_GCM', iv: Buffer.alloc(12), aad: Buffer.alloc(0) }, HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['no KWP number', { ...GENERIC_CAPABILITIES, aesKeyWrapPadMechanism: 0 }, 'wrapValue', { name: 'AES_KEY_WRAP_PAD' }, HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['ECDSA to encrypt', GENERIC_CAPABILITIES, 'encrypt', { name: 'ECDSA' }, HsmErrorCode.HSM_INVALID_INPUT],
    ['GCM to wrap', GENERIC_CAPABILITIES, 'wrapValue', { name: 'AES_GCM', iv: Buffer.alloc(12), aad: Buffer.alloc(0) }, HsmErrorCode.HSM_INVALID_INPUT],
  ] as const)('%s', (_case, caps, operation, mechanism, expected) => {
    expect(code(() => checkMechanism('p', caps, operation, mechanism as HsmMechanism))).toBe(expected);
  });

  it('names the pool in UNSUPPORTED_BY_HSM', () => {
    expect(() => checkMechanism('pool-a', SOFTHSM2_CAPABILITIES, 'decrypt', { name: 'RSA_OAEP', hash: 'SHA-256' })).toThrow(/pool-a/);
  });
});

describe('checkKeySpec', () => {
  it.each([
    ['secp256k1 on NSS', NSS_CAPABILITIES, request({ spec: { kty: 'EC', curve: 'secp256k1' }, usage: { ...request({}).usage, encrypt: false, decrypt: false, wrap: false, unwrap: false } }), HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['exportable on NSS', NSS_CAPABILITIES, request({ exportable: true }), HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['exportable on SoftHSM', SOFTHSM2_CAPABILITIES, request({ exportable: true }), undefined],
    ['exportable on NSS with allowPinOnlyExport', NSS_CAPABILITIES, request({ exportable: true }), undefined, true],
    ['RSA-1024', GENERIC_CAPABILITIES, request({ spec: { kty: 'RSA', bits: 1024 as 2048 } }), HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['AES that signs', GENERIC_CAPABILITIES, request({ usage: { ...request({}).usage, sign: true } }), HsmErrorCode.HSM_INVALID_INPUT],
    ['upper-case objectId', GENERIC_CAPABILITIES, request({ objectId: 'AB' }), HsmErrorCode.HSM_INVALID_INPUT],
    ['odd-length objectId', GENERIC_CAPABILITIES, request({ objectId: 'abc' }), HsmErrorCode.HSM_INVALID_INPUT],
  ] as Array<[string, PoolCapabilities, GenerateKeyRequest, HsmErrorCode | undefined, boolean?]>)('%s', (_case, caps, req, expected, allowPinOnlyExport = false) => {
    expect(code(() => checkKeySpec('p', caps, req, exportPolicyOf(caps, allowPinOnlyExport)))).toBe(expected);
  });
});

describe('checkInput and signatureLengthFits', () => {
  const rsa = { kty: 'RSA' as const, modulusBytes: 256 };
  it.each([
    ['OAEP-SHA-1 plaintext of 214 bytes fits RSA-2048', 'encrypt', { name: 'RSA_OAEP', hash: 'SHA-1' }, 214, rsa, undefined],
    ['OAEP-SHA-1 plaintext of 215 bytes does not', 'encrypt', { name: 'RSA_OAEP', hash: 'SHA-1' }, 215, rsa, HsmErrorCode.HSM_INVALID_INPUT],
    ['OAEP-SHA-256 plaintext of 191 bytes does not', 'wrapValue', { name: 'RSA_OAEP', hash: 'SHA-256' }, 191, rsa, HsmErrorCode.HSM_INVALID_INPUT],
    ['RSA ciphertext of k bytes', 'decrypt', { name: 'RSA_PKCS1' }, 256, rsa, undefined],
    ['KWP of 20 bytes where unaligned wrap is broken', 'wrapValue', { name: 'AES_KEY_WRAP_PAD' }, 20, { kty: 'oct' as const }, HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['KWP of 24 bytes', 'wrapValue', { name: 'AES_KEY_WRAP_PAD' }, 24, { kty: 'oct' as const }, undefined],
    ['RFC 3394 blob of 4104 bytes (4096-byte value)', 'unwrapValue', { name: 'AES_KEY_WRAP' }, 4104, { kty: 'oct' as const }, undefined],
    ['RFC 3394 blob of 4112 bytes', 'unwrapValue', { name: 'AES_KEY_WRAP' }, 4112, { kty: 'oct' as const }, HsmErrorCode.UNSUPPORTED_BY_HSM],
    ['ECDSA over 15 bytes', 'sign', { name: 'ECDSA' }, 15, { kty: 'EC' as const, curve: 'P-256' as const }, HsmErrorCode.HSM_INVALID_INPUT],
    ['PSS-SHA-384 over 48 bytes', 'sign', { name: 'RSA_PSS', hash: 'SHA-384', saltLength: 48 }, 48, rsa, undefined],
  ] as const)('%s', (_case, operation, mechanism, length, key, expected) => {
    expect(code(() => checkInput('p', SOFTHSM2_CAPABILITIES, operation, mechanism as HsmMechanism, Buffer.alloc(length, 1), key))).toBe(expected);
  });

  it('compares signature sizes with the key', () => {
    expect(signatureLengthFits({ name: 'ECDSA' }, Buffer.alloc(132), { kty: 'EC', curve: 'P-521' })).toBe(true);
    expect(signatureLengthFits({ name: 'ECDSA' }, Buffer.alloc(130), { kty: 'EC', curve: 'P-521' })).toBe(false);
    expect(signatureLengthFits({ name: 'RSA_PKCS1_SIGN' }, Buffer.alloc(255), rsa)).toBe(false);
  });

  it('refuses a key of the wrong type for the mechanism as HSM_OPERATION_NOT_PERMITTED', () => {
    expect(code(() => checkKeyType('p', { name: 'AES_KEY_WRAP' }, 'RSA'))).toBe(HsmErrorCode.HSM_OPERATION_NOT_PERMITTED);
  });
});
