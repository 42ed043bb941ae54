import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { EcCurve, KeySpec, PublicKeyJwk } from '@keybridge/hsm';
import { invalidArgument } from '@keybridge/keys';
import { decodeBase64Url } from '@keybridge/platform';

const MAX_PUBLIC_KEY_CHARS = 8 * 1024;
const CURVE_NODE_NAMES: Record<EcCurve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1', secp256k1: 'secp256k1' };

/**
 * The importer's statement of the key's public half: SPKI PEM, base64url SPKI DER, or a public JWK. Private keys are
 * refused (never parsed into a public key: that would mean the customer sent us their private key in the clear).
 */
export function parseDeclaredPublicKey(value: string, spec: KeySpec): PublicKeyJwk {
  if (spec.kty === 'oct') throw invalidArgument('AES keys have no public key', 'publicKey');
  if (value.length > MAX_PUBLIC_KEY_CHARS) throw invalidArgument(`publicKey is larger than ${MAX_PUBLIC_KEY_CHARS} characters`, 'publicKey');
  const key = readPublicKey(value.trim());
  const details = key.asymmetricKeyDetails ?? {};
  const jwk = key.export({ format: 'jwk' });
  if (spec.kty === 'RSA') {
    if (key.asymmetricKeyType !== 'rsa' || details.modulusLength !== spec.bits) throw invalidArgument(`publicKey is not an RSA ${spec.bits} public key`, 'publicKey');
    return { kty: 'RSA', n: String(jwk.n), e: String(jwk.e) };
  }
  if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== CURVE_NODE_NAMES[spec.curve]) {
    throw invalidArgument(`publicKey is not an EC ${spec.curve} public key`, 'publicKey');
  }
  return { kty: 'EC', crv: spec.curve, x: String(jwk.x), y: String(jwk.y) };
}

function readPublicKey(value: string): KeyObject {
  const refused = invalidArgument('publicKey must be a public key: SPKI PEM, base64url SPKI DER or a public JWK', 'publicKey');
  if (/PRIVATE KEY/.test(value)) throw refused;
  try {
    if (value.startsWith('-----BEGIN PUBLIC KEY-----')) return createPublicKey({ key: value, format: 'pem' });
    if (value.startsWith('{')) {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed !== 'object' || parsed === null || 'd' in parsed) throw refused;
      return createPublicKey({ key: parsed as JsonWebKey, format: 'jwk' });
    }
    const der = decodeBase64Url(value);
    if (!der) throw refused;
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw refused;
  }
}
