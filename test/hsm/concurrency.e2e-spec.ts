import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { GrapheneHsmAdapter, HsmKeyRef, KeyUsage, PoolConfig, PublicKeyJwk } from '@keybridge/hsm';
import { newObjectId, poolOf, testPools } from './hsm-pools';

const AES_USAGE: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false };
const RSA_USAGE: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true };
const SIGN_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true };
const DIGEST_INFO_SHA256 = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const pools = testPools();

describe.each([poolOf(pools, 'softhsm2'), poolOf(pools, 'nss')].map((p) => [p.vendor, p] as const))('concurrency on %s', (_vendor, pool: PoolConfig) => {
  let hsm: GrapheneHsmAdapter;
  const created: HsmKeyRef[] = [];
  const generate = async (spec: Parameters<GrapheneHsmAdapter['generateKey']>[0]['spec'], usage: KeyUsage) => {
    const generated = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-concurrency', spec, usage, exportable: false });
    created.push(generated.ref);
    return generated;
  };

  beforeAll(async () => {
    // Thousands of calls queue on a few sessions at once here, on a machine the whole suite shares: this suite is
    // about correctness under concurrency, not the overload bound (which answers UNAVAILABLE after acquireTimeoutMs).
    hsm = await GrapheneHsmAdapter.open([{ ...pool, acquireTimeoutMs: 120_000 }]);
  });
  afterAll(async () => {
    for (const ref of created) await hsm.destroyKey(ref);
    await hsm.close();
  });

  it(`2,000 concurrent AES-GCM encrypts and 2,000 KWP wraps through the session pool complete and are correct`, async () => {
    const { ref } = await generate({ kty: 'oct', bits: 256 }, AES_USAGE);
    const jobs = Array.from({ length: 2000 }, () => ({ iv: randomBytes(12), plaintext: randomBytes(32), dek: randomBytes(32) }));
    const [sealed, wrapped] = await Promise.all([
      Promise.all(jobs.map((j) => hsm.encrypt(ref, { name: 'AES_GCM', iv: j.iv, aad: Buffer.alloc(0) }, j.plaintext))),
      Promise.all(jobs.map((j) => hsm.wrapValue(ref, { name: 'AES_KEY_WRAP_PAD' }, j.dek))),
    ]);
    const [opened, unwrapped] = await Promise.all([
      Promise.all(jobs.map((j, i) => hsm.decrypt(ref, { name: 'AES_GCM', iv: j.iv, aad: Buffer.alloc(0) }, sealed[i]))),
      Promise.all(jobs.map((_j, i) => hsm.unwrapValue(ref, { name: 'AES_KEY_WRAP_PAD' }, wrapped[i]))),
    ]);
    jobs.forEach((j, i) => {
      expect(opened[i].equals(j.plaintext)).toBe(true);
      expect(unwrapped[i].equals(j.dek)).toBe(true);
    });
  });

  // pkcs11js passes NULL/0 for a mechanism without parameter; these are the ones that have none.
  it('parameterless mechanisms (RFC 3394, RFC 5649, RSA PKCS#1, ECDSA) run correctly many times concurrently', async () => {
    const aes = (await generate({ kty: 'oct', bits: 128 }, AES_USAGE)).ref;
    const rsa = await generate({ kty: 'RSA', bits: 2048 }, RSA_USAGE);
    const ec = await generate({ kty: 'EC', curve: 'P-256' }, SIGN_ONLY);
    const rsaKey = createPublicKey({ key: rsa.publicJwk as PublicKeyJwk, format: 'jwk' });
    const ecKey = createPublicKey({ key: ec.publicJwk as PublicKeyJwk, format: 'jwk' });
    // NSS softokn spends ~30 ms in C_*Init loading a token RSA private key from key4.db: keep its share small.
    const n = pool.vendor === 'nss' ? 40 : 300;
    await Promise.all(
      Array.from({ length: n }, async (_x, i) => {
        const value = randomBytes(16 + 8 * (i % 4));
        const message = randomBytes(20);
        const digest = createHash('sha256').update(message).digest();
        const [kw, kwp, rsaSig, ecSig, pkcs1] = await Promise.all([
          hsm.wrapValue(aes, { name: 'AES_KEY_WRAP' }, value),
          hsm.wrapValue(aes, { name: 'AES_KEY_WRAP_PAD' }, value),
          hsm.sign(rsa.ref, { name: 'RSA_PKCS1_SIGN' }, Buffer.concat([DIGEST_INFO_SHA256, digest])),
          hsm.sign(ec.ref, { name: 'ECDSA' }, digest),
          hsm.decrypt(rsa.ref, { name: 'RSA_PKCS1' }, publicEncrypt({ key: rsaKey, padding: constants.RSA_PKCS1_PADDING }, value)),
        ]);
        expect(await hsm.unwrapValue(aes, { name: 'AES_KEY_WRAP' }, kw)).toEqual(value);
        expect(await hsm.unwrapValue(aes, { name: 'AES_KEY_WRAP_PAD' }, kwp)).toEqual(value);
        expect(pkcs1).toEqual(value);
        expect(verify('sha256', message, rsaKey, rsaSig)).toBe(true);
        expect(verify('sha256', message, { key: ecKey, dsaEncoding: 'ieee-p1363' }, ecSig)).toBe(true);
        expect(await hsm.verify(ec.ref, { name: 'ECDSA' }, digest, ecSig)).toBe(true);
      }),
    );
  });
});
