import { createPublicKey, randomBytes, verify, createHash } from 'node:crypto';
import {
  ExportedKeys,
  GeneratedKey,
  GrapheneHsmAdapter,
  HsmErrorCode,
  HsmKeyRef,
  KeySpec,
  KeyUsage,
  negotiateOaepHash,
  PoolConfig,
  PublicKeyJwk,
} from '@keybridge/hsm';
import { attemptReadOut, countSessionSecretKeys } from '@keybridge/hsm/testing';
import { newObjectId, poolOf, testPools } from './hsm-pools';

const FULL: Record<KeySpec['kty'], KeyUsage> = {
  RSA: { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true },
  EC: { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true },
  oct: { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false },
};
const UNWRAP_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: true, sign: false, verify: false };

// The HSM half of a transfer: exportKeys in the source pool (security-officer steps on SoftHSM, PIN-only on NSS),
// importWrappedKey in the target pool with a transport key made there. No key byte passes through this process.
describe('exportKeys → importWrappedKey between pools and vendors', () => {
  const pools = testPools();
  const soft = pools.filter((p) => p.vendor === 'softhsm2');
  const nss = poolOf(pools, 'nss');
  const [a, b] = soft;
  let hsm: GrapheneHsmAdapter;
  const made: HsmKeyRef[] = [];

  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open([a, b, nss]);
  });
  afterAll(async () => {
    for (const ref of made) await hsm.destroyKey(ref).catch(() => undefined);
    await hsm.close();
  });

  async function generate(pool: PoolConfig, spec: KeySpec, exportable = true, usage = FULL[spec.kty]): Promise<GeneratedKey> {
    const key = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-export', spec, usage, exportable });
    made.push(key.ref);
    return key;
  }

  async function move(source: PoolConfig, target: PoolConfig, key: GeneratedKey, spec: KeySpec): Promise<{ exported: ExportedKeys; moved: GeneratedKey }> {
    const transport = await generate(target, { kty: 'RSA', bits: 3072 }, false, UNWRAP_ONLY);
    const oaepHash = negotiateOaepHash(hsm.capabilities(source.name), hsm.capabilities(target.name));
    if (!oaepHash) throw new Error('no common OAEP hash');
    const exported = await hsm.exportKeys({ pool: source.name, keys: [key.ref], recipient: transport.publicJwk as PublicKeyJwk, oaepHash });
    const moved = await hsm.importWrappedKey({
      pool: target.name,
      transportKey: transport.ref,
      oaepHash,
      blob: Buffer.concat([exported.wrappedEphemeral, exported.wrappedKeys[0]]),
      target: { objectId: newObjectId(), label: 'kb-test-moved', spec, usage: FULL[spec.kty], exportable: true, publicJwk: key.publicJwk },
    });
    made.push(moved.ref);
    return { exported, moved };
  }

  const routes = () => [
    ['SoftHSM → SoftHSM', a, b],
    ['SoftHSM → NSS', a, nss],
    ['NSS → SoftHSM', nss, a],
  ] as const;

  it.each(routes())('AES-256 %s: key check values agree, wraps agree', async (_route, source, target) => {
    const key = await generate(source, { kty: 'oct', bits: 256 });
    const { exported, moved } = await move(source, target, key, { kty: 'oct', bits: 256 });
    expect(exported.securityOfficerUsed).toBe(source.vendor === 'softhsm2');
    expect(await hsm.keyCheckValue(moved.ref)).toEqual(await hsm.keyCheckValue(key.ref));
    const dek = randomBytes(32);
    expect(await hsm.wrapValue(moved.ref, { name: 'AES_KEY_WRAP_PAD' }, dek)).toEqual(await hsm.wrapValue(key.ref, { name: 'AES_KEY_WRAP_PAD' }, dek));
    // Still exportable at the target, and where the module enforces it, still only under trusted keys.
    const attributes = await hsm.attributes(moved.ref);
    expect(attributes).toMatchObject({ token: true, sensitive: true, extractable: true, ...(target.vendor === 'softhsm2' ? { wrapWithTrusted: true } : {}) });
    if (target.vendor === 'softhsm2') expect(attemptReadOut(target, moved.ref.objectId)).toMatchObject({ value: 'CKR_ATTRIBUTE_SENSITIVE', wrap: 'CKR_KEY_NOT_WRAPPABLE' });
  });

  it.each(routes())('RSA-3072 %s: the target signs, the source public key verifies', async (_route, source, target) => {
    const key = await generate(source, { kty: 'RSA', bits: 3072 });
    const { moved } = await move(source, target, key, { kty: 'RSA', bits: 3072 });
    expect(moved.publicJwk).toEqual(key.publicJwk);
    const digest = createHash('sha256').update('moved').digest();
    const signature = await hsm.sign(moved.ref, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, digest);
    expect(verify('sha256', Buffer.from('moved'), { key: createPublicKey({ key: key.publicJwk as PublicKeyJwk, format: 'jwk' }), padding: 6, saltLength: 32 }, signature)).toBe(true);
  });

  it.each(routes())('EC P-256 %s: the target signs, the source public key verifies', async (_route, source, target) => {
    const key = await generate(source, { kty: 'EC', curve: 'P-256' });
    const { moved } = await move(source, target, key, { kty: 'EC', curve: 'P-256' });
    const digest = createHash('sha256').update('moved').digest();
    const signature = await hsm.sign(moved.ref, { name: 'ECDSA' }, digest);
    expect(verify('sha256', Buffer.from('moved'), { key: createPublicKey({ key: key.publicJwk as PublicKeyJwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it('leaves no session key behind and the pool keeps working after the security-officer steps', async () => {
    const key = await generate(a, { kty: 'oct', bits: 256 });
    const before = countSessionSecretKeys(a);
    await move(a, b, key, { kty: 'oct', bits: 256 });
    expect(countSessionSecretKeys(a)).toBe(before);
    // Operations on other keys of the pool before and after the user was logged out and back in.
    const other = await generate(a, { kty: 'oct', bits: 256 }, false);
    const wrapped = await hsm.wrapValue(other.ref, { name: 'AES_KEY_WRAP_PAD' }, randomBytes(32));
    expect(await hsm.unwrapValue(other.ref, { name: 'AES_KEY_WRAP_PAD' }, wrapped)).toHaveLength(32);
    expect((await hsm.health()).every((h) => h.loggedIn)).toBe(true);
  });

  it('runs concurrent operations on the pool while exports take it over', async () => {
    const key = await generate(a, { kty: 'oct', bits: 256 });
    const transport = await generate(b, { kty: 'RSA', bits: 2048 }, false, UNWRAP_ONLY);
    const recipient = transport.publicJwk as PublicKeyJwk;
    const other = await generate(a, { kty: 'oct', bits: 256 }, false);
    const work = Array.from({ length: 200 }, (_, i) =>
      i % 20 === 0
        ? hsm.exportKeys({ pool: a.name, keys: [key.ref], recipient, oaepHash: 'SHA-1' }).then(() => 'export')
        : hsm.wrapValue(other.ref, { name: 'AES_KEY_WRAP_PAD' }, randomBytes(32)).then(() => 'wrap'),
    );
    const results = await Promise.all(work);
    expect(results.filter((r) => r === 'export')).toHaveLength(10);
  });

  it('refuses a non-exportable key at the HSM (EXPORT_REFUSED)', async () => {
    const key = await generate(a, { kty: 'oct', bits: 256 }, false);
    const transport = await generate(b, { kty: 'RSA', bits: 2048 }, false, UNWRAP_ONLY);
    await expect(hsm.exportKeys({ pool: a.name, keys: [key.ref], recipient: transport.publicJwk as PublicKeyJwk, oaepHash: 'SHA-1' })).rejects.toMatchObject({
      code: HsmErrorCode.EXPORT_REFUSED,
    });
  });

  it('refuses OAEP SHA-256 out of SoftHSM 2.6.1 (UNSUPPORTED_BY_HSM) and negotiates SHA-1 for it', async () => {
    const key = await generate(a, { kty: 'oct', bits: 256 });
    const transport = await generate(nss, { kty: 'RSA', bits: 2048 }, false, UNWRAP_ONLY);
    await expect(hsm.exportKeys({ pool: a.name, keys: [key.ref], recipient: transport.publicJwk as PublicKeyJwk, oaepHash: 'SHA-256' })).rejects.toMatchObject({
      code: HsmErrorCode.UNSUPPORTED_BY_HSM,
    });
    expect(negotiateOaepHash(hsm.capabilities(a.name), hsm.capabilities(nss.name))).toBe('SHA-1');
    expect(negotiateOaepHash(hsm.capabilities(nss.name), hsm.capabilities(nss.name))).toBe('SHA-256');
  });

  it('an exportable key cannot be read out by a PIN holder of a SoftHSM pool: the HSM refuses the value and the wrap', async () => {
    const key = await generate(a, { kty: 'oct', bits: 256 });
    expect(await hsm.attributes(key.ref)).toMatchObject({ extractable: true, wrapWithTrusted: true, sensitive: true });
    expect(attemptReadOut(a, key.ref.objectId)).toEqual({ value: 'CKR_ATTRIBUTE_SENSITIVE', wrap: 'CKR_KEY_NOT_WRAPPABLE', plaintext: undefined });
  });

  it('documents why NSS needs allowPinOnlyExport: there a PIN holder can read an exportable key out', async () => {
    const key = await generate(nss, { kty: 'oct', bits: 256 });
    const attempt = attemptReadOut(nss, key.ref.objectId);
    expect(attempt.value).toBe('CKR_ATTRIBUTE_SENSITIVE');
    expect(attempt.wrap).toBe('wrapped');
    expect(attempt.plaintext).toHaveLength(32);
  });
});

describe('sealed exports and secret-wrapped keys (backups, security domains)', () => {
  const pools = testPools();
  const [a, b] = pools.filter((p) => p.vendor === 'softhsm2');
  const nss = poolOf(pools, 'nss');
  let hsm: GrapheneHsmAdapter;
  const made: HsmKeyRef[] = [];
  const gen = async (pool: PoolConfig, spec: KeySpec, exportable: boolean, usage: KeyUsage): Promise<GeneratedKey> => {
    const key = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-seal', spec, usage, exportable });
    made.push(key.ref);
    return key;
  };

  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open([a, b, nss]);
  });
  afterAll(async () => {
    for (const ref of made) await hsm.destroyKey(ref).catch(() => undefined);
    await hsm.close();
  });

  it.each([
    ['SoftHSM', a, b],
    ['NSS', nss, a],
  ])('a seal made in %s opens with the recipient key and refuses a flipped bit', async (_vendor, source, target) => {
    const key = await gen(source, { kty: 'oct', bits: 256 }, true, FULL.oct);
    const recipient = await gen(target, { kty: 'RSA', bits: 3072 }, false, UNWRAP_ONLY);
    const digest = createHash('sha256').update('header').digest();
    const exported = await hsm.exportKeys({ pool: source.name, keys: [key.ref], recipient: recipient.publicJwk as PublicKeyJwk, oaepHash: 'SHA-1', seal: () => digest });
    const open = { pool: target.name, transportKey: recipient.ref, oaepHash: 'SHA-1' as const, wrappedEphemeral: exported.wrappedEphemeral };
    expect(await hsm.openSeal({ ...open, sealed: exported.sealed as Buffer })).toEqual(digest);
    const flipped = Buffer.from(exported.sealed as Buffer);
    flipped[5] ^= 1;
    await expect(hsm.openSeal({ ...open, sealed: flipped })).rejects.toMatchObject({ details: { importFailure: 'seal' } });
  });

  it.each([
    ['SoftHSM → NSS', a, nss],
    ['NSS → SoftHSM', nss, b],
  ])('an RSA key wrapped under a secret in %s is imported with the same secret, and not with another', async (_route, source, target) => {
    const key = await gen(source, { kty: 'RSA', bits: 3072 }, true, UNWRAP_ONLY);
    const secret = randomBytes(32);
    const [wrapped] = await hsm.wrapKeysWithSecret({ pool: source.name, keys: [key.ref], secret });
    const target1 = { objectId: newObjectId(), label: 'kb-test-seal', spec: { kty: 'RSA', bits: 3072 } as const, usage: UNWRAP_ONLY, exportable: true };
    await expect(hsm.importKeyWithSecret({ pool: target.name, secret: randomBytes(32), wrapped, target: target1 })).rejects.toMatchObject({
      details: { importFailure: 'kwp' },
    });
    expect(await hsm.exists({ pool: target.name, objectId: target1.objectId })).toBe(false);
    const imported = await hsm.importKeyWithSecret({ pool: target.name, secret, wrapped, target: { ...target1, objectId: newObjectId() } });
    made.push(imported.ref);
    expect(imported.publicJwk).toEqual(key.publicJwk);
    expect(await hsm.attributes(imported.ref)).toMatchObject({ sensitive: true, extractable: true });
  });
});

describe('exportKeys without the security officer', () => {
  const pools = testPools();
  const [a, b] = pools.filter((p) => p.vendor === 'softhsm2');
  let hsm: GrapheneHsmAdapter;
  const made: HsmKeyRef[] = [];

  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open([{ ...a, soPin: undefined }, b]);
  });
  afterAll(async () => {
    for (const ref of made) await hsm.destroyKey(ref).catch(() => undefined);
    await hsm.close();
  });

  it('is SECURITY_OFFICER_REQUIRED on a SoftHSM pool without soPin, and the pool says so', async () => {
    const key = await hsm.generateKey({ pool: a.name, objectId: newObjectId(), label: 'kb-test-export', spec: { kty: 'oct', bits: 256 }, usage: FULL.oct, exportable: true });
    const transport = await hsm.generateKey({ pool: b.name, objectId: newObjectId(), label: 'kb-test-export', spec: { kty: 'RSA', bits: 2048 }, usage: UNWRAP_ONLY, exportable: false });
    made.push(key.ref, transport.ref);
    expect(hsm.pools().find((p) => p.name === a.name)).toMatchObject({ exportPolicy: 'trusted', securityOfficerConfigured: false });
    await expect(hsm.exportKeys({ pool: a.name, keys: [key.ref], recipient: transport.publicJwk as PublicKeyJwk, oaepHash: 'SHA-1' })).rejects.toMatchObject({
      code: HsmErrorCode.SECURITY_OFFICER_REQUIRED,
      message: expect.stringContaining('soPin'),
    });
  });

  it('with a wrong SO PIN is SECURITY_OFFICER_REQUIRED and the user is logged in again', async () => {
    const wrong = await GrapheneHsmAdapter.open([{ ...b, soPin: { env: 'KB_TEST_WRONG_SO_PIN' } }]);
    process.env.KB_TEST_WRONG_SO_PIN = 'not-the-pin';
    try {
      const key = await wrong.generateKey({ pool: b.name, objectId: newObjectId(), label: 'kb-test-export', spec: { kty: 'oct', bits: 256 }, usage: FULL.oct, exportable: true });
      made.push(key.ref);
      const recipient = (await wrong.generateKey({ pool: b.name, objectId: newObjectId(), label: 'kb-test-export', spec: { kty: 'RSA', bits: 2048 }, usage: UNWRAP_ONLY, exportable: false })).publicJwk as PublicKeyJwk;
      await expect(wrong.exportKeys({ pool: b.name, keys: [key.ref], recipient, oaepHash: 'SHA-1' })).rejects.toMatchObject({
        code: HsmErrorCode.SECURITY_OFFICER_REQUIRED,
        message: expect.stringContaining('CKR_PIN_INCORRECT'),
      });
      expect(await wrong.keyCheckValue(key.ref)).toHaveLength(16);
    } finally {
      await wrong.close();
    }
  });
});
