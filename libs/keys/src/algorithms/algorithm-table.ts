import { DigestName, KeySpec, OaepHash } from '@keybridge/hsm';
import { KeyError, KeyErrorCode } from '../keys.errors';

/** Algorithm names as in JWA / Azure Key Vault, spelled as GraphQL-safe identifiers. */
export const WRAP_ALGORITHMS = ['RSA_OAEP', 'RSA_OAEP_256', 'RSA1_5', 'A128KW', 'A192KW', 'A256KW', 'CKM_AES_KEY_WRAP_PAD'] as const;
export const ENCRYPT_ALGORITHMS = ['RSA_OAEP', 'RSA_OAEP_256', 'A128GCM', 'A192GCM', 'A256GCM'] as const;
export const SIGN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'ES256K'] as const;

export type WrapAlgorithm = (typeof WRAP_ALGORITHMS)[number];
export type EncryptAlgorithm = (typeof ENCRYPT_ALGORITHMS)[number];
export type SignAlgorithm = (typeof SIGN_ALGORITHMS)[number];
export type AnyAlgorithm = WrapAlgorithm | EncryptAlgorithm | SignAlgorithm;

type KeyMatch = (spec: KeySpec) => boolean;
const rsa: KeyMatch = (s) => s.kty === 'RSA';
const aes = (bits?: number): KeyMatch => (s) => s.kty === 'oct' && (bits === undefined || s.bits === bits);
const ec = (curve: string): KeyMatch => (s) => s.kty === 'EC' && s.curve === curve;

export const OAEP_HASH: Partial<Record<AnyAlgorithm, OaepHash>> = { RSA_OAEP: 'SHA-1', RSA_OAEP_256: 'SHA-256' };

export const SIGN_DIGEST: Record<SignAlgorithm, DigestName> = {
  RS256: 'SHA-256', RS384: 'SHA-384', RS512: 'SHA-512',
  PS256: 'SHA-256', PS384: 'SHA-384', PS512: 'SHA-512',
  ES256: 'SHA-256', ES384: 'SHA-384', ES512: 'SHA-512', ES256K: 'SHA-256',
};

export const DIGEST_LENGTH: Record<DigestName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

const KEY_MATCH: Record<AnyAlgorithm, KeyMatch> = {
  RSA_OAEP: rsa, RSA_OAEP_256: rsa, RSA1_5: rsa,
  A128KW: aes(128), A192KW: aes(192), A256KW: aes(256), CKM_AES_KEY_WRAP_PAD: aes(),
  A128GCM: aes(128), A192GCM: aes(192), A256GCM: aes(256),
  RS256: rsa, RS384: rsa, RS512: rsa, PS256: rsa, PS384: rsa, PS512: rsa,
  ES256: ec('P-256'), ES384: ec('P-384'), ES512: ec('P-521'), ES256K: ec('secp256k1'),
};

/** Parses a caller-supplied algorithm name for one family of operations, and checks it fits the key. */
export function parseAlgorithm<A extends AnyAlgorithm>(family: readonly A[], name: string, spec: KeySpec): A {
  const algorithm = family.find((a) => a === name.replace(/-/g, '_'));
  if (!algorithm) {
    throw new KeyError(KeyErrorCode.UNSUPPORTED_ALGORITHM, `unsupported algorithm; expected one of ${family.join(', ')}`, {
      field: 'algorithm',
    });
  }
  if (!KEY_MATCH[algorithm](spec)) {
    throw new KeyError(KeyErrorCode.ALGORITHM_NOT_VALID_FOR_KEY, `${algorithm} is not valid for this key (${describeSpec(spec)})`, {
      field: 'algorithm',
    });
  }
  return algorithm;
}

export function describeSpec(spec: KeySpec): string {
  return spec.kty === 'EC' ? `EC ${spec.curve}` : `${spec.kty} ${spec.bits}`;
}
