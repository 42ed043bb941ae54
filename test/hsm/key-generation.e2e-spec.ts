import { execFileSync } from 'node:child_process';
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { AesBits, EcCurve, GrapheneHsmAdapter, HsmKeyRef, KeyUsage, PoolConfig, PublicKeyJwk, readSecret, RsaBits } from '@keybridge/hsm';
import { newObjectId, poolOf, testPools } from './hsm-pools';

const ALL: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true };
const SIGN_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true };
const AES_USAGE: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false };
const DIGEST_INFO_SHA256 = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const EC_HASH: Record<EcCurve, string> = { 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512', secp256k1: 'sha256' };

const pools = testPools();
const vendors = [poolOf(pools, 'softhsm2'), poolOf(pools, 'nss')];

describe.each(vendors.map((p) => [p.vendor, p] as const))('key generation on %s', (_vendor, pool: PoolConfig) => {
  let hsm: GrapheneHsmAdapter;
  const created: HsmKeyRef[] = [];
  const ref = (objectId: string): HsmKeyRef => ({ pool: pool.name, objectId });

  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open([pool]);
  });
  afterAll(async () => {
    for (const key of created) await hsm.destroyKey(key);
    await hsm.close();
  });

  it.each([2048, 3072, 4096] as RsaBits[])('RSA-%i: public JWK imports into node and verifies HSM signatures; node OAEP decrypts in the HSM', async (bits) => {
    const objectId = newObjectId();
    const generated = await hsm.generateKey({ pool: pool.name, objectId, label: `kb-test-rsa-${bits}`, spec: { kty: 'RSA', bits }, usage: ALL, exportable: false });
    created.push(generated.ref);
    expect(generated.ref).toEqual(ref(objectId));
    const publicKey = createPublicKey({ key: generated.publicJwk as PublicKeyJwk, format: 'jwk' });
    expect(publicKey.asymmetricKeyDetails).toEqual({ modulusLength: bits, publicExponent: 65537n });

    const message = randomBytes(100);
    const digest = createHash('sha256').update(message).digest();
    const rs256 = await hsm.sign(generated.ref, { name: 'RSA_PKCS1_SIGN' }, Buffer.concat([DIGEST_INFO_SHA256, digest]));
    expect(verify('sha256', message, publicKey, rs256)).toBe(true);
    const ps256 = await hsm.sign(generated.ref, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, digest);
    expect(verify('sha256', message, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, ps256)).toBe(true);
    expect(await hsm.verify(generated.ref, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, digest, ps256)).toBe(true);

    for (const hash of hsm.capabilities(pool.name).oaepHashes) {
      const secret = randomBytes(32);
      const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash === 'SHA-1' ? 'sha1' : 'sha256' }, secret);
      expect(await hsm.decrypt(generated.ref, { name: 'RSA_OAEP', hash }, ciphertext)).toEqual(secret);
      expect(await hsm.unwrapValue(generated.ref, { name: 'RSA_OAEP', hash }, ciphertext)).toEqual(secret);
    }
  });

  it.each(['P-256', 'P-384', 'P-521'] as EcCurve[])('EC %s: public JWK imports into node and verifies HSM ECDSA (r||s)', async (curve) => {
    const generated = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: `kb-test-ec-${curve}`, spec: { kty: 'EC', curve }, usage: SIGN_ONLY, exportable: false });
    created.push(generated.ref);
    expect(generated.publicJwk).toMatchObject({ kty: 'EC', crv: curve });
    const publicKey = createPublicKey({ key: generated.publicJwk as PublicKeyJwk, format: 'jwk' });
    const message = randomBytes(64);
    const digest = createHash(EC_HASH[curve]).update(message).digest();
    const signature = await hsm.sign(generated.ref, { name: 'ECDSA' }, digest);
    expect(verify(EC_HASH[curve], message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(await hsm.verify(generated.ref, { name: 'ECDSA' }, digest, signature)).toBe(true);
    const flipped = Buffer.from(signature);
    flipped[3] ^= 1;
    expect(await hsm.verify(generated.ref, { name: 'ECDSA' }, digest, flipped)).toBe(false);
  });

  it.each([128, 192, 256] as AesBits[])('AES-%i: GCM, RFC 3394 and RFC 5649 round trips', async (bits) => {
    const generated = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: `kb-test-aes-${bits}`, spec: { kty: 'oct', bits }, usage: AES_USAGE, exportable: false });
    created.push(generated.ref);
    expect(generated.publicJwk).toBeUndefined();
    const iv = randomBytes(12);
    const aad = randomBytes(9);
    const plaintext = randomBytes(45);
    const sealed = await hsm.encrypt(generated.ref, { name: 'AES_GCM', iv, aad }, plaintext);
    expect(sealed.length).toBe(plaintext.length + 16);
    expect(await hsm.decrypt(generated.ref, { name: 'AES_GCM', iv, aad }, sealed)).toEqual(plaintext);

    const dek = randomBytes(32);
    const kw = await hsm.wrapValue(generated.ref, { name: 'AES_KEY_WRAP' }, dek);
    const kwp = await hsm.wrapValue(generated.ref, { name: 'AES_KEY_WRAP_PAD' }, dek);
    expect([kw.length, kwp.length]).toEqual([40, 40]);
    // Same length for an aligned value, different integrity check values (A6A6A6A6A6A6A6A6 vs A65959A6||MLI).
    expect(kw.equals(kwp)).toBe(false);
    expect(await hsm.unwrapValue(generated.ref, { name: 'AES_KEY_WRAP' }, kw)).toEqual(dek);
    expect(await hsm.unwrapValue(generated.ref, { name: 'AES_KEY_WRAP_PAD' }, kwp)).toEqual(dek);
  });

  it('generated private and secret objects are token, sensitive and never extractable', async () => {
    for (const spec of [{ kty: 'RSA', bits: 2048 }, { kty: 'EC', curve: 'P-256' }, { kty: 'oct', bits: 256 }] as const) {
      const usage = spec.kty === 'oct' ? AES_USAGE : SIGN_ONLY;
      const { ref: key } = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-attrs', spec, usage, exportable: false });
      created.push(key);
      expect(await hsm.attributes(key)).toEqual({
        token: true,
        sensitive: true,
        extractable: false,
        wrapWithTrusted: false,
        neverExtractable: true,
        alwaysSensitive: true,
      });
    }
  });

  it('health reports the user logged in', async () => {
    expect(await hsm.health()).toEqual([{ pool: pool.name, loggedIn: true }]);
  });
});

describe('SoftHSM only', () => {
  const pool = poolOf(pools, 'softhsm2');
  let hsm: GrapheneHsmAdapter;
  const created: HsmKeyRef[] = [];
  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open([pool]);
  });
  afterAll(async () => {
    for (const key of created) await hsm.destroyKey(key);
    await hsm.close();
  });

  it('exportable keys are extractable only to trusted keys (CKA_WRAP_WITH_TRUSTED)', async () => {
    for (const spec of [{ kty: 'RSA', bits: 2048 }, { kty: 'oct', bits: 256 }] as const) {
      const usage = spec.kty === 'oct' ? AES_USAGE : SIGN_ONLY;
      const { ref: key } = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-exportable', spec, usage, exportable: true });
      created.push(key);
      expect(await hsm.attributes(key)).toMatchObject({ token: true, sensitive: true, extractable: true, wrapWithTrusted: true, neverExtractable: false });
    }
  });

  it('secp256k1 keys sign digests that node verifies', async () => {
    const generated = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-k1', spec: { kty: 'EC', curve: 'secp256k1' }, usage: SIGN_ONLY, exportable: false });
    created.push(generated.ref);
    const message = randomBytes(32);
    const signature = await hsm.sign(generated.ref, { name: 'ECDSA' }, createHash('sha256').update(message).digest());
    const publicKey = createPublicKey({ key: generated.publicJwk as PublicKeyJwk, format: 'jwk' });
    expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it('pkcs11-tool lists the generated private key as sensitive, not extractable, with only the requested usage', async () => {
    const label = `kb-test-tool-${randomBytes(4).toString('hex')}`;
    const { ref: key } = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label, spec: { kty: 'EC', curve: 'P-256' }, usage: SIGN_ONLY, exportable: false });
    created.push(key);
    const listing = execFileSync(
      'pkcs11-tool',
      ['--module', pool.module, '--token-label', pool.tokenLabel, '--login', '--pin', readSecret(pool.pin, 'PIN'), '--list-objects'],
      { env: { ...process.env, ...pool.environment }, encoding: 'utf8' },
    );
    // pkcs11-tool -O ignores --label: split the listing into objects and pick ours.
    const objects = listing.split(/\n(?=\S)/).filter((block) => new RegExp(`label:\\s+${label}\\n`).test(`${block}\n`));
    const privateKey = objects.find((block) => block.startsWith('Private Key Object; EC'));
    const publicKey = objects.find((block) => block.startsWith('Public Key Object; EC'));
    const field = (block: string | undefined, name: string): string[] =>
      (new RegExp(`${name}:\\s*(.*)`).exec(block ?? '')?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    expect(field(privateKey, 'Access')).toEqual(expect.arrayContaining(['sensitive', 'always sensitive', 'never extractable']));
    expect(field(privateKey, 'Access')).not.toContain('extractable');
    expect(field(privateKey, 'Usage')).toEqual(['sign']);
    expect(field(publicKey, 'Usage')).toEqual(['verify']);
  });

});
