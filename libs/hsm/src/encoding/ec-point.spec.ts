import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { decodeEcPoint } from './ec-point';
import { ecPublicJwk, rsaPublicJwk } from './public-jwk';

describe('decodeEcPoint', () => {
  const x = Buffer.alloc(32, 0x11);
  const y = Buffer.alloc(32, 0x22);
  const raw = Buffer.concat([Buffer.from([4]), x, y]);

  it('reads the DER OCTET STRING form PKCS#11 specifies', () => {
    expect(decodeEcPoint(Buffer.concat([Buffer.from([0x04, 65]), raw]), 32)).toEqual({ x, y });
  });

  it('reads the raw form some modules return', () => {
    expect(decodeEcPoint(raw, 32)).toEqual({ x, y });
  });

  it('reads a long-form DER length (P-521: 133 bytes)', () => {
    const big = Buffer.concat([Buffer.from([4]), Buffer.alloc(66, 1), Buffer.alloc(66, 2)]);
    expect(decodeEcPoint(Buffer.concat([Buffer.from([0x04, 0x81, 133]), big]), 66).y).toEqual(Buffer.alloc(66, 2));
  });

  it.each([
    ['a compressed point', Buffer.concat([Buffer.from([0x04, 33, 0x02]), x])],
    ['a DER length that does not match', Buffer.concat([Buffer.from([0x04, 66]), raw])],
    ['another curve size', Buffer.concat([Buffer.from([0x04, 65]), raw]).subarray(0, 50)],
    ['not an OCTET STRING', Buffer.concat([Buffer.from([0x03, 65]), raw])],
    ['nothing', Buffer.alloc(0)],
  ])('rejects %s', (_case, value) => {
    expect(() => decodeEcPoint(value, 32)).toThrow(/EC point/);
  });
});

describe('public JWKs', () => {
  it('RSA: n and e without leading zero octets, importable by node', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const n = Buffer.concat([Buffer.from([0]), Buffer.from(String(jwk.n), 'base64url')]);
    const built = rsaPublicJwk(n, Buffer.from([0, 1, 0, 1]));
    expect(built).toEqual({ kty: 'RSA', n: jwk.n, e: 'AQAB' });
    expect(createPublicKey({ key: built, format: 'jwk' }).equals(publicKey)).toBe(true);
  });

  it('EC: crv, x and y from CKA_EC_POINT, importable by node', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const point = publicKey.export({ format: 'der', type: 'spki' }).subarray(-97);
    const built = ecPublicJwk('P-384', Buffer.concat([Buffer.from([0x04, 97]), point]));
    expect(createPublicKey({ key: built, format: 'jwk' }).equals(publicKey)).toBe(true);
  });
});
