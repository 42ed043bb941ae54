import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { CapabilityProbe, capabilitiesForVendor, GrapheneHsmAdapter, HsmErrorCode, HsmKeyRef, KeyUsage, PublicKeyJwk } from '@keybridge/hsm';
import { newObjectId, poolOf, testPools } from './hsm-pools';

const ALL_RSA: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true };
const SIGN_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true };
const AES_USAGE: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false };

// Every claim in capabilities/<vendor>.ts, measured against the real module with keys whose values we chose and
// node:crypto as the reference (KWP = openssl id-aes256-wrap-pad, RFC 3394 = id-aes256-wrap, GCM, OAEP, PSS …).
describe('vendor capability data matches the real modules', () => {
  const pools = testPools();
  const vendors = [...new Map(pools.filter((p) => p.vendor !== 'generic').map((p) => [p.vendor, p])).values()];

  it.each(vendors.map((p) => [p.vendor, p] as const))('%s', async (_vendor, pool) => {
    const measured = await CapabilityProbe.measure(pool);
    expect(measured).toEqual(capabilitiesForVendor(pool.vendor));
  });
});

describe('the adapter acts on the capability data', () => {
  const pools = testPools();
  const soft = poolOf(pools, 'softhsm2');
  const nss = poolOf(pools, 'nss');
  let hsm: GrapheneHsmAdapter;
  const keys: Record<string, { rsa: HsmKeyRef; aes: HsmKeyRef; rsaJwk: PublicKeyJwk }> = {};

  beforeAll(async () => {
    // The refusal of exportable keys is what an NSS pool does without allowPinOnlyExport.
    hsm = await GrapheneHsmAdapter.open([soft, { ...nss, allowPinOnlyExport: false }]);
    for (const pool of [soft, nss]) {
      const rsa = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-caps', spec: { kty: 'RSA', bits: 2048 }, usage: ALL_RSA, exportable: false });
      const aes = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-caps', spec: { kty: 'oct', bits: 256 }, usage: AES_USAGE, exportable: false });
      keys[pool.name] = { rsa: rsa.ref, aes: aes.ref, rsaJwk: rsa.publicJwk as PublicKeyJwk };
    }
  });
  afterAll(async () => {
    for (const { rsa, aes } of Object.values(keys)) {
      await hsm.destroyKey(rsa);
      await hsm.destroyKey(aes);
    }
    await hsm.close();
  });

  const oaep256 = (pool: string): Buffer =>
    publicEncrypt({ key: createPublicKey({ key: keys[pool].rsaJwk, format: 'jwk' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(32));

  it('NSS decrypts and unwraps RSA-OAEP with SHA-256', async () => {
    const blob = oaep256(nss.name);
    const value = await hsm.decrypt(keys[nss.name].rsa, { name: 'RSA_OAEP', hash: 'SHA-256' }, blob);
    expect(value).toHaveLength(32);
    expect(await hsm.unwrapValue(keys[nss.name].rsa, { name: 'RSA_OAEP', hash: 'SHA-256' }, blob)).toEqual(value);
  });

  it('SoftHSM refuses RSA-OAEP with SHA-256 as UNSUPPORTED_BY_HSM naming the pool, before looking for the key', async () => {
    const mechanism = { name: 'RSA_OAEP', hash: 'SHA-256' } as const;
    const blob = oaep256(soft.name);
    for (const attempt of [
      hsm.decrypt(keys[soft.name].rsa, mechanism, blob),
      hsm.unwrapValue(keys[soft.name].rsa, mechanism, blob),
      hsm.encrypt(keys[soft.name].rsa, mechanism, randomBytes(16)),
      hsm.decrypt({ pool: soft.name, objectId: newObjectId() }, mechanism, blob),
    ]) {
      await expect(attempt).rejects.toMatchObject({ code: HsmErrorCode.UNSUPPORTED_BY_HSM, message: expect.stringContaining(soft.name) });
    }
  });

  it('secp256k1 is UNSUPPORTED_BY_HSM on NSS, naming the pool', async () => {
    const request = { pool: nss.name, objectId: newObjectId(), label: 'kb-test-k1', spec: { kty: 'EC', curve: 'secp256k1' }, usage: SIGN_ONLY, exportable: false } as const;
    await expect(hsm.generateKey(request)).rejects.toMatchObject({ code: HsmErrorCode.UNSUPPORTED_BY_HSM, message: expect.stringContaining(nss.name) });
    expect(await hsm.exists({ pool: nss.name, objectId: request.objectId })).toBe(false);
  });

  it('exportable keys are UNSUPPORTED_BY_HSM on NSS, which does not enforce CKA_WRAP_WITH_TRUSTED', async () => {
    const request = { pool: nss.name, objectId: newObjectId(), label: 'kb-test-exp', spec: { kty: 'oct', bits: 256 }, usage: AES_USAGE, exportable: true } as const;
    await expect(hsm.generateKey(request)).rejects.toMatchObject({ code: HsmErrorCode.UNSUPPORTED_BY_HSM, message: expect.stringContaining('WRAP_WITH_TRUSTED') });
  });

  it.each([
    ['RFC 3394', 32, 40, { name: 'AES_KEY_WRAP' } as const],
    ['RFC 3394', 16, 24, { name: 'AES_KEY_WRAP' } as const],
    ['RFC 5649', 32, 40, { name: 'AES_KEY_WRAP_PAD' } as const],
    ['RFC 5649', 24, 32, { name: 'AES_KEY_WRAP_PAD' } as const],
    ['RFC 5649', 64, 72, { name: 'AES_KEY_WRAP_PAD' } as const],
  ])('%s of %i bytes gives %i bytes and unwraps to the value on both vendors', async (_rfc, size, wrappedSize, mechanism) => {
    for (const pool of [soft, nss]) {
      const value = randomBytes(size);
      const wrapped = await hsm.wrapValue(keys[pool.name].aes, mechanism, value);
      expect(wrapped).toHaveLength(wrappedSize);
      expect(await hsm.unwrapValue(keys[pool.name].aes, mechanism, wrapped)).toEqual(value);
    }
  });

  it('an RFC 5649 blob does not unwrap as RFC 3394 (different integrity check value)', async () => {
    for (const pool of [soft, nss]) {
      const wrapped = await hsm.wrapValue(keys[pool.name].aes, { name: 'AES_KEY_WRAP_PAD' }, randomBytes(32));
      await expect(hsm.unwrapValue(keys[pool.name].aes, { name: 'AES_KEY_WRAP' }, wrapped)).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
    }
  });

  it('RFC 5649 of a 20-byte value: NSS wraps it to 32 bytes and back; SoftHSM (which would zero-pad it) refuses', async () => {
    const value = randomBytes(20);
    const wrapped = await hsm.wrapValue(keys[nss.name].aes, { name: 'AES_KEY_WRAP_PAD' }, value);
    expect(wrapped).toHaveLength(32);
    expect(await hsm.unwrapValue(keys[nss.name].aes, { name: 'AES_KEY_WRAP_PAD' }, wrapped)).toEqual(value);
    await expect(hsm.wrapValue(keys[soft.name].aes, { name: 'AES_KEY_WRAP_PAD' }, value)).rejects.toMatchObject({
      code: HsmErrorCode.UNSUPPORTED_BY_HSM,
      message: expect.stringContaining(soft.name),
    });
  });

  it('NSS unwraps values up to 256 bytes and refuses larger ones as UNSUPPORTED_BY_HSM; SoftHSM takes 4096', async () => {
    const small = randomBytes(256);
    const large = randomBytes(300);
    expect(await hsm.unwrapValue(keys[nss.name].aes, { name: 'AES_KEY_WRAP_PAD' }, await hsm.wrapValue(keys[nss.name].aes, { name: 'AES_KEY_WRAP_PAD' }, small))).toEqual(small);
    const wrappedLarge = await hsm.wrapValue(keys[nss.name].aes, { name: 'AES_KEY_WRAP_PAD' }, large);
    await expect(hsm.unwrapValue(keys[nss.name].aes, { name: 'AES_KEY_WRAP_PAD' }, wrappedLarge)).rejects.toMatchObject({ code: HsmErrorCode.UNSUPPORTED_BY_HSM });
    const big = randomBytes(4096);
    expect(await hsm.unwrapValue(keys[soft.name].aes, { name: 'AES_KEY_WRAP' }, await hsm.wrapValue(keys[soft.name].aes, { name: 'AES_KEY_WRAP' }, big))).toEqual(big);
  });
});
