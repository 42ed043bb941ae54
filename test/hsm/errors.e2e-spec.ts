import { constants, createHash, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { GrapheneHsmAdapter, HsmError, HsmErrorCode, HsmKeyRef, HsmMechanism, KeyUsage, PoolConfig, PublicKeyJwk } from '@keybridge/hsm';
import { newObjectId, poolOf, testPools } from './hsm-pools';

const NONE: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: false, verify: false };
const pools = testPools();

describe.each([poolOf(pools, 'softhsm2'), poolOf(pools, 'nss')].map((p) => [p.vendor, p] as const))('errors on %s', (_vendor, pool: PoolConfig) => {
  let hsm: GrapheneHsmAdapter;
  let aes: HsmKeyRef;
  let rsa: HsmKeyRef;
  let rsaJwk: PublicKeyJwk;
  let signOnly: HsmKeyRef;
  let wrapOnlyAes: HsmKeyRef;
  const gcm = (iv = Buffer.alloc(12, 7)): HsmMechanism => ({ name: 'AES_GCM', iv, aad: Buffer.from('aad') });

  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open([pool]);
    const make = async (spec: Parameters<GrapheneHsmAdapter['generateKey']>[0]['spec'], usage: Partial<KeyUsage>) =>
      hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-errors', spec, usage: { ...NONE, ...usage }, exportable: false });
    aes = (await make({ kty: 'oct', bits: 256 }, { encrypt: true, decrypt: true, wrap: true, unwrap: true })).ref;
    const generated = await make({ kty: 'RSA', bits: 2048 }, { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true });
    rsa = generated.ref;
    rsaJwk = generated.publicJwk as PublicKeyJwk;
    signOnly = (await make({ kty: 'RSA', bits: 2048 }, { sign: true, verify: true })).ref;
    wrapOnlyAes = (await make({ kty: 'oct', bits: 128 }, { wrap: true })).ref;
  });
  afterAll(async () => {
    for (const ref of [aes, rsa, signOnly, wrapOnlyAes]) await hsm.destroyKey(ref);
    await hsm.close();
  });

  const tamper = (data: Buffer, at = data.length >> 1): Buffer => {
    const copy = Buffer.from(data);
    copy[at] ^= 0x01;
    return copy;
  };

  it.each([
    ['RFC 5649', { name: 'AES_KEY_WRAP_PAD' } as const],
    ['RFC 3394', { name: 'AES_KEY_WRAP' } as const],
  ])('unwrapValue of a tampered %s blob is HSM_INVALID_INPUT', async (_name, mechanism) => {
    const wrapped = await hsm.wrapValue(aes, mechanism, randomBytes(32));
    for (const at of [0, 12, wrapped.length - 1]) {
      await expect(hsm.unwrapValue(aes, mechanism, tamper(wrapped, at))).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
    }
  });

  it('a tampered GCM ciphertext or tag, and a tampered OAEP block, are HSM_INVALID_INPUT', async () => {
    const sealed = await hsm.encrypt(aes, gcm(), randomBytes(40));
    await expect(hsm.decrypt(aes, gcm(), tamper(sealed, 3))).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
    await expect(hsm.decrypt(aes, gcm(), tamper(sealed, sealed.length - 2))).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
    await expect(hsm.decrypt(aes, gcm(Buffer.alloc(12, 8)), sealed)).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
    const block = publicEncrypt({ key: createPublicKey({ key: rsaJwk, format: 'jwk' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, randomBytes(32));
    await expect(hsm.unwrapValue(rsa, { name: 'RSA_OAEP', hash: 'SHA-1' }, tamper(block))).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
    await expect(hsm.decrypt(rsa, { name: 'RSA_OAEP', hash: 'SHA-1' }, tamper(block))).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
  });

  it('the sessions keep working after many failed operations', async () => {
    const sealed = await hsm.encrypt(aes, gcm(), randomBytes(40));
    const failures = await Promise.allSettled(Array.from({ length: 40 }, () => hsm.decrypt(aes, gcm(), tamper(sealed, 1))));
    expect(failures.every((f) => f.status === 'rejected')).toBe(true);
    const plaintext = randomBytes(40);
    const results = await Promise.all(Array.from({ length: 40 }, () => hsm.encrypt(aes, gcm(), plaintext)));
    expect(await hsm.decrypt(aes, gcm(), results[39])).toEqual(plaintext);
  });

  it('an unknown objectId is HSM_OBJECT_NOT_FOUND for every key operation', async () => {
    const ref = { pool: pool.name, objectId: newObjectId() };
    for (const attempt of [
      hsm.encrypt(ref, gcm(), randomBytes(8)),
      hsm.decrypt(ref, gcm(), randomBytes(32)),
      hsm.wrapValue(ref, { name: 'AES_KEY_WRAP_PAD' }, randomBytes(32)),
      hsm.unwrapValue(ref, { name: 'AES_KEY_WRAP_PAD' }, randomBytes(40)),
      hsm.sign(ref, { name: 'ECDSA' }, randomBytes(32)),
      hsm.verify(ref, { name: 'ECDSA' }, randomBytes(32), randomBytes(64)),
      hsm.attributes(ref),
    ]) {
      await expect(attempt).rejects.toMatchObject({ code: HsmErrorCode.HSM_OBJECT_NOT_FOUND });
    }
    expect(await hsm.exists(ref)).toBe(false);
  });

  it('an unknown pool is POOL_NOT_FOUND', async () => {
    const ref = { pool: 'no-such-pool', objectId: newObjectId() };
    expect(() => hsm.capabilities('no-such-pool')).toThrow(expect.objectContaining({ code: HsmErrorCode.POOL_NOT_FOUND }));
    for (const attempt of [
      hsm.encrypt(ref, gcm(), randomBytes(8)),
      hsm.exists(ref),
      hsm.destroyKey(ref),
      hsm.generateKey({ pool: 'no-such-pool', objectId: newObjectId(), label: 'x', spec: { kty: 'oct', bits: 256 }, usage: NONE, exportable: false }),
    ]) {
      await expect(attempt).rejects.toMatchObject({ code: HsmErrorCode.POOL_NOT_FOUND });
    }
  });

  it('destroyKey removes every object of the key and is idempotent', async () => {
    const { ref } = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-destroy', spec: { kty: 'EC', curve: 'P-256' }, usage: { ...NONE, sign: true, verify: true }, exportable: false });
    const digest = createHash('sha256').update('x').digest();
    const signature = await hsm.sign(ref, { name: 'ECDSA' }, digest);
    expect(await hsm.exists(ref)).toBe(true);
    await hsm.destroyKey(ref);
    await hsm.destroyKey(ref);
    expect(await hsm.exists(ref)).toBe(false);
    await expect(hsm.sign(ref, { name: 'ECDSA' }, digest)).rejects.toMatchObject({ code: HsmErrorCode.HSM_OBJECT_NOT_FOUND });
    await expect(hsm.verify(ref, { name: 'ECDSA' }, digest, signature)).rejects.toMatchObject({ code: HsmErrorCode.HSM_OBJECT_NOT_FOUND });
  });

  it('a key destroyed by another adapter (stale cached handle) is HSM_OBJECT_NOT_FOUND', async () => {
    const { ref } = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-stale', spec: { kty: 'oct', bits: 128 }, usage: { ...NONE, encrypt: true }, exportable: false });
    await hsm.encrypt(ref, gcm(), randomBytes(8)); // caches the handle
    const other = await GrapheneHsmAdapter.open([pool]);
    try {
      await other.destroyKey(ref);
    } finally {
      await other.close();
    }
    await expect(hsm.encrypt(ref, gcm(), randomBytes(8))).rejects.toMatchObject({ code: HsmErrorCode.HSM_OBJECT_NOT_FOUND });
  });

  it('a key used for a usage it lacks is HSM_OPERATION_NOT_PERMITTED', async () => {
    const block = publicEncrypt({ key: createPublicKey({ key: rsaJwk, format: 'jwk' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, randomBytes(32));
    for (const attempt of [
      hsm.decrypt(signOnly, { name: 'RSA_OAEP', hash: 'SHA-1' }, block),
      hsm.unwrapValue(signOnly, { name: 'RSA_OAEP', hash: 'SHA-1' }, block),
      hsm.wrapValue(signOnly, { name: 'RSA_OAEP', hash: 'SHA-1' }, randomBytes(32)),
      hsm.encrypt(wrapOnlyAes, gcm(), randomBytes(8)),
      hsm.unwrapValue(wrapOnlyAes, { name: 'AES_KEY_WRAP' }, randomBytes(40)),
      // wrong key type for the mechanism
      hsm.encrypt(rsa, gcm(), randomBytes(8)),
      hsm.sign(aes, { name: 'ECDSA' }, randomBytes(32)),
    ]) {
      await expect(attempt).rejects.toMatchObject({ code: HsmErrorCode.HSM_OPERATION_NOT_PERMITTED });
    }
  });

  it.each([
    ['empty plaintext', () => hsm.encrypt(aes, gcm(), Buffer.alloc(0))],
    ['GCM ciphertext shorter than the tag', () => hsm.decrypt(aes, gcm(), randomBytes(10))],
    ['empty GCM iv', () => hsm.encrypt(aes, gcm(Buffer.alloc(0)), randomBytes(8))],
    ['RFC 3394 value not a multiple of 8', () => hsm.wrapValue(aes, { name: 'AES_KEY_WRAP' }, randomBytes(20))],
    ['RFC 3394 value under 16 bytes', () => hsm.wrapValue(aes, { name: 'AES_KEY_WRAP' }, randomBytes(8))],
    ['RFC 5649 blob not a multiple of 8', () => hsm.unwrapValue(aes, { name: 'AES_KEY_WRAP_PAD' }, randomBytes(41))],
    ['RSA ciphertext of the wrong length', () => hsm.decrypt(rsa, { name: 'RSA_OAEP', hash: 'SHA-1' }, randomBytes(255))],
    ['OAEP plaintext too long', () => hsm.encrypt(rsa, { name: 'RSA_OAEP', hash: 'SHA-1' }, randomBytes(215))],
    ['PSS input that is not a SHA-256 digest', () => hsm.sign(rsa, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, randomBytes(20))],
    ['PSS salt too long', () => hsm.sign(rsa, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 300 }, randomBytes(32))],
    ['PKCS#1 signature input too long', () => hsm.sign(rsa, { name: 'RSA_PKCS1_SIGN' }, randomBytes(250))],
    ['a signing mechanism used to encrypt', () => hsm.encrypt(rsa, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, randomBytes(32))],
    ['GCM used to wrap', () => hsm.wrapValue(aes, gcm(), randomBytes(32))],
    ['a malformed objectId', () => hsm.exists({ pool: pool.name, objectId: 'not-hex' })],
    ['an objectId already in use', () => hsm.generateKey({ pool: pool.name, objectId: aes.objectId, label: 'dup', spec: { kty: 'oct', bits: 128 }, usage: NONE, exportable: false })],
    ['EC key asked to decrypt', () => hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'x', spec: { kty: 'EC', curve: 'P-256' }, usage: { ...NONE, decrypt: true }, exportable: false })],
  ])('%s is HSM_INVALID_INPUT', async (_case, attempt) => {
    await expect(attempt()).rejects.toMatchObject({ code: HsmErrorCode.HSM_INVALID_INPUT });
  });

  it('verify answers false for a wrong, truncated or over-long signature', async () => {
    const digest = createHash('sha256').update('m').digest();
    const mechanism = { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 } as const;
    const signature = await hsm.sign(rsa, mechanism, digest);
    expect(await hsm.verify(rsa, mechanism, digest, signature)).toBe(true);
    expect(await hsm.verify(rsa, mechanism, digest, tamper(signature))).toBe(false);
    expect(await hsm.verify(rsa, mechanism, digest, signature.subarray(1))).toBe(false);
    expect(await hsm.verify(rsa, mechanism, digest, Buffer.concat([signature, Buffer.alloc(1)]))).toBe(false);
    expect(await hsm.verify(rsa, mechanism, createHash('sha256').update('n').digest(), signature)).toBe(false);
  });

  it('error messages and details carry no key material, plaintext or PIN', async () => {
    const value = randomBytes(32);
    const wrapped = await hsm.wrapValue(aes, { name: 'AES_KEY_WRAP_PAD' }, value);
    const error = await hsm.unwrapValue(aes, { name: 'AES_KEY_WRAP_PAD' }, tamper(wrapped)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HsmError);
    const text = JSON.stringify({ message: (error as HsmError).message, details: (error as HsmError).details });
    for (const secret of [value, wrapped, tamper(wrapped)]) {
      for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(text).not.toContain(secret.toString(encoding));
    }
    expect((error as HsmError).details).toEqual({ pool: pool.name, ckr: expect.stringMatching(/^CKR_/) });
  });
});
