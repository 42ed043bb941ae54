import { createPublicKey } from 'node:crypto';
import { EcCurve, PublicKeyJwk } from '../hsm.port';
import { CURVES } from './ec-curves';
import { decodeEcPoint } from './ec-point';

/** JWK integers are unsigned big-endian without leading zero octets (RFC 7518 §6.3.1). */
function stripLeadingZeros(value: Buffer): Buffer {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  return value.subarray(i);
}

export function rsaPublicJwk(modulus: Buffer, publicExponent: Buffer): PublicKeyJwk {
  return {
    kty: 'RSA',
    n: stripLeadingZeros(modulus).toString('base64url'),
    e: stripLeadingZeros(publicExponent).toString('base64url'),
  };
}

export function ecPublicJwk(curve: EcCurve, ecPoint: Buffer): PublicKeyJwk {
  const { x, y } = decodeEcPoint(ecPoint, CURVES[curve].fieldBytes);
  return { kty: 'EC', crv: curve, x: x.toString('base64url'), y: y.toString('base64url') };
}

/** The same public key, whatever the JWK's spelling (leading zeros, member order). */
export function samePublicKey(a: PublicKeyJwk, b: PublicKeyJwk): boolean {
  return createPublicKey({ key: a, format: 'jwk' }).equals(createPublicKey({ key: b, format: 'jwk' }));
}
