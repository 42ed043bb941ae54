import { GENERIC_CAPABILITIES, NSS_CAPABILITIES, SOFTHSM2_CAPABILITIES } from '@keybridge/hsm';
import { KeySpec } from '@keybridge/hsm';
import { defaultAlgorithm, mechanismFor, parseEscrowAlgorithm } from './wrapping';

const aes: KeySpec = { kty: 'oct', bits: 256 };
const rsa: KeySpec = { kty: 'RSA', bits: 2048 };
const ec: KeySpec = { kty: 'EC', curve: 'P-256' };

describe('escrow wrapping algorithms', () => {
  it('wraps new data keys with RFC 5649 under AES, and RSA-OAEP with the best hash the pool can unwrap', () => {
    expect(defaultAlgorithm(aes, SOFTHSM2_CAPABILITIES)).toBe('CKM_AES_KEY_WRAP_PAD');
    expect(defaultAlgorithm(rsa, SOFTHSM2_CAPABILITIES)).toBe('RSA_OAEP');
    expect(defaultAlgorithm(rsa, NSS_CAPABILITIES)).toBe('RSA_OAEP_256');
  });

  it('maps each algorithm to the HSM mechanism that unwraps it', () => {
    expect(mechanismFor('CKM_AES_KEY_WRAP_PAD')).toEqual({ name: 'AES_KEY_WRAP_PAD' });
    expect(mechanismFor('A192KW')).toEqual({ name: 'AES_KEY_WRAP' });
    expect(mechanismFor('RSA_OAEP')).toEqual({ name: 'RSA_OAEP', hash: 'SHA-1' });
    expect(mechanismFor('RSA_OAEP_256')).toEqual({ name: 'RSA_OAEP', hash: 'SHA-256' });
  });

  it.each<[string, string, KeySpec, string]>([
    ['EC keys cannot wrap', 'RSA_OAEP', ec, 'WRAPPING_KEY_TYPE_INVALID'],
    ['RSA1_5 is not kept in escrow', 'RSA1_5', rsa, 'UNSUPPORTED_ALGORITHM'],
    ['unknown name', 'AES-CBC', aes, 'UNSUPPORTED_ALGORITHM'],
    ['AES algorithm with an RSA key', 'CKM_AES_KEY_WRAP_PAD', rsa, 'ALGORITHM_NOT_VALID_FOR_KEY'],
    ['A128KW with a 256-bit key', 'A128KW', aes, 'ALGORITHM_NOT_VALID_FOR_KEY'],
  ])('refuses: %s', (_name, algorithm, spec, code) => {
    expect(() => parseEscrowAlgorithm(algorithm, spec)).toThrow(expect.objectContaining({ code }));
  });

  it('EC keys get no default algorithm either', () => {
    expect(() => defaultAlgorithm(ec, GENERIC_CAPABILITIES)).toThrow(expect.objectContaining({ code: 'WRAPPING_KEY_TYPE_INVALID' }));
  });
});
