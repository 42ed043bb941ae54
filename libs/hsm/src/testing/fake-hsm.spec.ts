import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { SOFTHSM2_CAPABILITIES } from '../capabilities/softhsm2';
import { HsmErrorCode } from '../hsm.errors';
import { EcCurve, KeyUsage, PublicKeyJwk } from '../hsm.port';
import { FakeHsm } from './fake-hsm';

const ALL: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true };
const SIGN: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true };
const AES: KeyUsage = { ...ALL, sign: false, verify: false };
const HASH: Record<EcCurve, string> = { 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512', secp256k1: 'sha256' };
let counter = 0;
const id = (): string => (++counter).toString(16).padStart(8, '0');

// The fake must produce what a real pool produces: node:crypto verifies and decrypts its output the same way the
// medium tests check the PKCS#11 adapter.
describe('FakeHsm', () => {
  const hsm = new FakeHsm([{ name: 'pool-a' }, { name: 'pool-s', capabilities: { ...SOFTHSM2_CAPABILITIES, curves: [...SOFTHSM2_CAPABILITIES.curves] } }]);

  it('RSA: RS256 over a DigestInfo and PS256 verify in node; node OAEP-256 decrypts; PKCS#1 v1.5 round trips', async () => {
    const { ref, publicJwk } = await hsm.generateKey({ pool: 'pool-a', objectId: id(), label: 'r', spec: { kty: 'RSA', bits: 2048 }, usage: ALL, exportable: false });
    const key = createPublicKey({ key: publicJwk as PublicKeyJwk, format: 'jwk' });
    const message = randomBytes(50);
    const digest = createHash('sha256').update(message).digest();
    const rs = await hsm.sign(ref, { name: 'RSA_PKCS1_SIGN' }, Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), digest]));
    expect(verify('sha256', message, key, rs)).toBe(true);
    const ps = await hsm.sign(ref, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, digest);
    expect(verify('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, ps)).toBe(true);
    expect(await hsm.verify(ref, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, digest, ps)).toBe(true);
    expect(await hsm.verify(ref, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, createHash('sha256').update('x').digest(), ps)).toBe(false);
    const secret = randomBytes(32);
    const block = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret);
    expect(await hsm.unwrapValue(ref, { name: 'RSA_OAEP', hash: 'SHA-256' }, block)).toEqual(secret);
    expect(await hsm.decrypt(ref, { name: 'RSA_PKCS1' }, await hsm.encrypt(ref, { name: 'RSA_PKCS1' }, secret))).toEqual(secret);
  });

  it.each(['P-256', 'P-384', 'P-521'] as EcCurve[])('ECDSA %s over a digest verifies in node as r||s', async (curve) => {
    const { ref, publicJwk } = await hsm.generateKey({ pool: 'pool-a', objectId: id(), label: 'e', spec: { kty: 'EC', curve }, usage: SIGN, exportable: false });
    const message = randomBytes(40);
    const digest = createHash(HASH[curve]).update(message).digest();
    const signature = await hsm.sign(ref, { name: 'ECDSA' }, digest);
    expect(verify(HASH[curve], message, { key: createPublicKey({ key: publicJwk as PublicKeyJwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(await hsm.verify(ref, { name: 'ECDSA' }, digest, signature)).toBe(true);
    signature[5] ^= 1;
    expect(await hsm.verify(ref, { name: 'ECDSA' }, digest, signature)).toBe(false);
  });

  it('secp256k1 where the capabilities allow it', async () => {
    const { ref, publicJwk } = await hsm.generateKey({ pool: 'pool-s', objectId: id(), label: 'k', spec: { kty: 'EC', curve: 'secp256k1' }, usage: SIGN, exportable: false });
    const digest = createHash('sha256').update('m').digest();
    const signature = await hsm.sign(ref, { name: 'ECDSA' }, digest);
    expect(verify('sha256', Buffer.from('m'), { key: createPublicKey({ key: publicJwk as PublicKeyJwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it('AES: GCM is ct||tag; RFC 3394 and RFC 5649 round trip and do not mix', async () => {
    const { ref } = await hsm.generateKey({ pool: 'pool-a', objectId: id(), label: 'a', spec: { kty: 'oct', bits: 256 }, usage: AES, exportable: false });
    const iv = randomBytes(12);
    const sealed = await hsm.encrypt(ref, { name: 'AES_GCM', iv, aad: Buffer.from('x') }, Buffer.from('hello'));
    expect(sealed).toHaveLength(5 + 16);
    expect(await hsm.decrypt(ref, { name: 'AES_GCM', iv, aad: Buffer.from('x') }, sealed)).toEqual(Buffer.from('hello'));
    await expect(hsm.decrypt(ref, { name: 'AES_GCM', iv, aad: Buffer.from('y') }, sealed)).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
    const value = randomBytes(20);
    const kwp = await hsm.wrapValue(ref, { name: 'AES_KEY_WRAP_PAD' }, value);
    expect(kwp).toHaveLength(32);
    expect(await hsm.unwrapValue(ref, { name: 'AES_KEY_WRAP_PAD' }, kwp)).toEqual(value);
    const kw = await hsm.wrapValue(ref, { name: 'AES_KEY_WRAP' }, randomBytes(32));
    await expect(hsm.unwrapValue(ref, { name: 'AES_KEY_WRAP_PAD' }, kw)).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
  });

  it('a softhsm2-like pool refuses what SoftHSM 2.6.1 cannot do, naming the pool', async () => {
    const rsa = await hsm.generateKey({ pool: 'pool-s', objectId: id(), label: 'r', spec: { kty: 'RSA', bits: 2048 }, usage: ALL, exportable: false });
    await expect(hsm.decrypt(rsa.ref, { name: 'RSA_OAEP', hash: 'SHA-256' }, randomBytes(256))).rejects.toMatchObject({ code: HsmErrorCode.UNSUPPORTED_BY_HSM, message: expect.stringContaining('pool-s') });
    const aes = await hsm.generateKey({ pool: 'pool-s', objectId: id(), label: 'a', spec: { kty: 'oct', bits: 128 }, usage: AES, exportable: false });
    await expect(hsm.wrapValue(aes.ref, { name: 'AES_KEY_WRAP_PAD' }, randomBytes(20))).rejects.toMatchObject({ code: HsmErrorCode.UNSUPPORTED_BY_HSM });
    expect(hsm.capabilities('pool-s').vendor).toBe('softhsm2');
  });

  it('keeps the adapter semantics for attributes, usage, destroy and unknown names', async () => {
    const { ref } = await hsm.generateKey({ pool: 'pool-a', objectId: id(), label: 'x', spec: { kty: 'oct', bits: 128 }, usage: { ...AES, decrypt: false }, exportable: true });
    expect(await hsm.attributes(ref)).toEqual({ token: true, sensitive: true, extractable: true, wrapWithTrusted: true, neverExtractable: false, alwaysSensitive: true });
    await expect(hsm.decrypt(ref, { name: 'AES_GCM', iv: randomBytes(12), aad: Buffer.alloc(0) }, randomBytes(40))).rejects.toMatchObject({ code: HsmErrorCode.HSM_OPERATION_NOT_PERMITTED });
    await expect(hsm.generateKey({ pool: 'pool-a', objectId: ref.objectId, label: 'x', spec: { kty: 'oct', bits: 128 }, usage: AES, exportable: false })).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
    await hsm.destroyKey(ref);
    await hsm.destroyKey(ref);
    expect(await hsm.exists(ref)).toBe(false);
    await expect(hsm.attributes(ref)).rejects.toMatchObject({ code: HsmErrorCode.HSM_OBJECT_NOT_FOUND });
    await expect(hsm.exists({ pool: 'nope', objectId: 'aa' })).rejects.toMatchObject({ code: HsmErrorCode.POOL_NOT_FOUND });
    expect(await hsm.health()).toEqual([{ pool: 'pool-a', loggedIn: true }, { pool: 'pool-s', loggedIn: true }]);
  });
});
