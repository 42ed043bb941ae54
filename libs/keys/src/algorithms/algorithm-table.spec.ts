import { ENCRYPT_ALGORITHMS, parseAlgorithm, SIGN_ALGORITHMS, WRAP_ALGORITHMS } from './algorithm-table';
import { digestInfo } from './digest-info';
import { constants, createHash, generateKeyPairSync, publicDecrypt, sign } from 'node:crypto';

describe('algorithm table', () => {
  it.each([
    [SIGN_ALGORITHMS, 'ES256', { kty: 'EC', curve: 'P-256' }],
    [SIGN_ALGORITHMS, 'ES256K', { kty: 'EC', curve: 'secp256k1' }],
    [SIGN_ALGORITHMS, 'PS512', { kty: 'RSA', bits: 3072 }],
    [WRAP_ALGORITHMS, 'RSA-OAEP-256', { kty: 'RSA', bits: 2048 }],
    [WRAP_ALGORITHMS, 'A192KW', { kty: 'oct', bits: 192 }],
    [WRAP_ALGORITHMS, 'CKM_AES_KEY_WRAP_PAD', { kty: 'oct', bits: 128 }],
    [ENCRYPT_ALGORITHMS, 'A128GCM', { kty: 'oct', bits: 128 }],
  ] as const)('accepts %s for its key', (family, name, spec) => {
    expect(parseAlgorithm(family, name, spec)).toBe(name.replace(/-/g, '_'));
  });

  it.each([
    [SIGN_ALGORITHMS, 'ES384', { kty: 'EC', curve: 'P-256' }, 'ALGORITHM_NOT_VALID_FOR_KEY'],
    [SIGN_ALGORITHMS, 'RS256', { kty: 'EC', curve: 'P-256' }, 'ALGORITHM_NOT_VALID_FOR_KEY'],
    [WRAP_ALGORITHMS, 'A256KW', { kty: 'oct', bits: 128 }, 'ALGORITHM_NOT_VALID_FOR_KEY'],
    [ENCRYPT_ALGORITHMS, 'A256GCM', { kty: 'RSA', bits: 2048 }, 'ALGORITHM_NOT_VALID_FOR_KEY'],
    [ENCRYPT_ALGORITHMS, 'RSA1_5', { kty: 'RSA', bits: 2048 }, 'UNSUPPORTED_ALGORITHM'],
    [SIGN_ALGORITHMS, 'HS256', { kty: 'oct', bits: 256 }, 'UNSUPPORTED_ALGORITHM'],
  ] as const)('refuses %s for the wrong key', (family, name, spec, code) => {
    expect(() => parseAlgorithm(family, name, spec)).toThrow(expect.objectContaining({ code }));
  });

  it.each(['SHA-256', 'SHA-384', 'SHA-512'] as const)('builds the %s DigestInfo that RSASSA-PKCS1-v1_5 signs', (hash) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const message = Buffer.from('message');
    const nodeHash = hash.replace('-', '').toLowerCase();
    const digest = createHash(nodeHash).update(message).digest();
    // Undoing node's RS* signature with the public key exposes exactly the DigestInfo that was signed.
    const signed = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, sign(nodeHash, message, privateKey));
    expect(signed).toEqual(digestInfo(hash, digest));
  });
});
