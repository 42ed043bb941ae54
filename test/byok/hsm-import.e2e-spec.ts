import { constants, createCipheriv, createHash, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, verify } from 'node:crypto';
import { wrapForImport } from '@keybridge/byok/formats';
import { GrapheneHsmAdapter, HsmError, HsmImportError, HsmKeyRef, ImportTarget, KeySpec, KeyUsage, PoolConfig, PublicKeyJwk } from '@keybridge/hsm';
import { countSessionSecretKeys } from '@keybridge/hsm/testing';
import { newObjectId, poolOf, testPools } from '../hsm/hsm-pools';

const FULL: Record<KeySpec['kty'], KeyUsage> = {
  RSA: { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true },
  EC: { encrypt: false, decrypt: false, wrap: false, unwrap: false, sign: true, verify: true },
  oct: { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: false, verify: false },
};
const UNWRAP_ONLY: KeyUsage = { encrypt: false, decrypt: false, wrap: false, unwrap: true, sign: false, verify: false };
const KWP_IV = Buffer.from('a65959a6', 'hex');
const pools = testPools();

const rsa = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits });
const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const pkcs8 = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'pkcs8' });
const jwkOf = (key: KeyObject): PublicKeyJwk => {
  const jwk = key.export({ format: 'jwk' });
  return jwk.kty === 'RSA' ? { kty: 'RSA', n: String(jwk.n), e: String(jwk.e) } : { kty: 'EC', crv: String(jwk.crv) as 'P-256', x: String(jwk.x), y: String(jwk.y) };
};
const flip = (data: Buffer, at: number): Buffer => {
  const copy = Buffer.from(data);
  copy[at] ^= 0x01;
  return copy;
};

// The adapter's import, straight against the modules: every target type each vendor supports, the public objects,
// every failure kind, and no object (token or session) left behind by a refused blob.
describe.each([poolOf(pools, 'softhsm2'), poolOf(pools, 'nss')].map((p) => [p.vendor, p] as const))('importWrappedKey on %s', (vendor, pool: PoolConfig) => {
  let hsm: GrapheneHsmAdapter;
  let transport: HsmKeyRef;
  let transportPublic: KeyObject;
  const made: HsmKeyRef[] = [];

  beforeAll(async () => {
    hsm = await GrapheneHsmAdapter.open([pool]);
    const generated = await hsm.generateKey({ pool: pool.name, objectId: newObjectId(), label: 'kb-test-byok', spec: { kty: 'RSA', bits: 2048 }, usage: UNWRAP_ONLY, exportable: false });
    transport = generated.ref;
    transportPublic = createPublicKey({ key: generated.publicJwk as PublicKeyJwk, format: 'jwk' });
  });
  afterAll(async () => {
    for (const ref of [transport, ...made]) await hsm.destroyKey(ref);
    await hsm.close();
  });

  const target = (spec: KeySpec, extra: Partial<ImportTarget> = {}): ImportTarget => ({
    objectId: newObjectId(),
    label: 'kb-test-byok',
    spec,
    usage: FULL[spec.kty],
    exportable: false,
    ...extra,
  });
  const importBlob = async (blob: Buffer, t: ImportTarget, oaepHash: 'SHA-1' | 'SHA-256' = 'SHA-1') => {
    const imported = await hsm.importWrappedKey({ pool: pool.name, transportKey: transport, oaepHash, blob, target: t });
    made.push(imported.ref);
    return imported;
  };

  it.each([128, 192, 256] as const)('AES-%i: sensitive, never extractable; its RFC 5649 wrap equals openssl/node id-aes256-wrap-pad', async (bits) => {
    const value = randomBytes(bits / 8);
    const imported = await importBlob(wrapForImport(transportPublic, value, 'SHA-1'), target({ kty: 'oct', bits }));
    expect(imported.publicJwk).toBeUndefined();
    expect(await hsm.attributes(imported.ref)).toMatchObject({ token: true, sensitive: true, extractable: false });
    const dek = randomBytes(32);
    const cipher = createCipheriv(`id-aes${bits}-wrap-pad`, value, KWP_IV);
    expect(await hsm.wrapValue(imported.ref, { name: 'AES_KEY_WRAP_PAD' }, dek)).toEqual(Buffer.concat([cipher.update(dek), cipher.final()]));
  });

  it.each([2048, 3072])('RSA-%i: public key read from the private object; signatures verify in node and through the public object', async (bits) => {
    const pair = rsa(bits);
    const imported = await importBlob(wrapForImport(transportPublic, pkcs8(pair.privateKey), 'SHA-1'), target({ kty: 'RSA', bits: bits as 2048 }));
    expect(createPublicKey({ key: imported.publicJwk as PublicKeyJwk, format: 'jwk' }).equals(pair.publicKey)).toBe(true);
    expect(await hsm.publicKeyOf(imported.ref)).toEqual(imported.publicJwk);
    const message = randomBytes(50);
    const digest = createHash('sha256').update(message).digest();
    const signature = await hsm.sign(imported.ref, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, digest);
    expect(verify('sha256', message, { key: pair.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)).toBe(true);
    expect(await hsm.verify(imported.ref, { name: 'RSA_PSS', hash: 'SHA-256', saltLength: 32 }, digest, signature)).toBe(true);
    expect(await hsm.attributes(imported.ref)).toMatchObject({ sensitive: true, extractable: false });
  });

  const curves = vendor === 'softhsm2' ? (['P-256', 'P-384', 'P-521', 'secp256k1'] as const) : (['P-256', 'P-384', 'P-521'] as const);
  const NODE = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1', secp256k1: 'secp256k1' } as const;
  it.each(curves)('EC %s: declared public key proven by a test signature; ECDSA verifies in node and through the public object', async (curve) => {
    const pair = ec(NODE[curve]);
    const imported = await importBlob(wrapForImport(transportPublic, pkcs8(pair.privateKey), 'SHA-1'), target({ kty: 'EC', curve }, { publicJwk: jwkOf(pair.publicKey) }));
    expect(await hsm.publicKeyOf(imported.ref)).toEqual(imported.publicJwk);
    const message = randomBytes(50);
    const digest = createHash('sha256').update(message).digest();
    const signature = await hsm.sign(imported.ref, { name: 'ECDSA' }, digest);
    expect(verify('sha256', message, { key: pair.publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(await hsm.verify(imported.ref, { name: 'ECDSA' }, digest, signature)).toBe(true);
  });

  it('SHA-256 blobs import where the module can unwrap OAEP-SHA-256, and are UNSUPPORTED_BY_HSM before anything is made where it cannot', async () => {
    const value = randomBytes(32);
    const t = target({ kty: 'oct', bits: 256 });
    const attempt = hsm.importWrappedKey({ pool: pool.name, transportKey: transport, oaepHash: 'SHA-256', blob: wrapForImport(transportPublic, value, 'SHA-256'), target: t });
    if (vendor === 'softhsm2') {
      await expect(attempt).rejects.toMatchObject({ code: 'UNSUPPORTED_BY_HSM' });
      expect(await hsm.exists({ pool: pool.name, objectId: t.objectId })).toBe(false);
    } else {
      made.push((await attempt).ref);
    }
  });

  const other = rsa(2048);
  const p256 = ec('prime256v1');
  type Case = [string, () => { blob: Buffer; target: ImportTarget; hash?: 'SHA-1' | 'SHA-256' }, string[]];
  const aes = (blob: (material: Buffer) => Buffer, bits: 128 | 256 = 256, length = bits / 8) => () => ({ blob: blob(randomBytes(length)), target: target({ kty: 'oct', bits }) });
  const cases: Case[] = [
    ['a tampered OAEP part', aes((m) => flip(wrapForImport(transportPublic, m, 'SHA-1'), 10)), ['oaep']],
    ['a tampered AES-KWP part (first byte)', aes((m) => flip(wrapForImport(transportPublic, m, 'SHA-1'), 256)), ['kwp']],
    ['a tampered AES-KWP part (last byte)', aes((m) => { const b = wrapForImport(transportPublic, m, 'SHA-1'); return flip(b, b.length - 1); }), ['kwp']],
    ['a SHA-256 blob declared SHA-1', aes((m) => wrapForImport(transportPublic, m, 'SHA-256')), ['oaep']],
    ['a blob for another transport key', aes((m) => wrapForImport(other.publicKey, m, 'SHA-1')), ['oaep']],
    ['an OAEP part numerically above the modulus', aes((m) => { const b = wrapForImport(transportPublic, m, 'SHA-1'); b.fill(0xff, 0, 256); return b; }), ['oaep']],
    ['RSA-1024 declared RSA-2048', () => ({ blob: wrapForImport(transportPublic, pkcs8(rsa(1024).privateKey), 'SHA-1'), target: target({ kty: 'RSA', bits: 2048 }) }), ['unsupportedKey']],
    ['RSA-3072 declared RSA-2048', () => ({ blob: wrapForImport(transportPublic, pkcs8(rsa(3072).privateKey), 'SHA-1'), target: target({ kty: 'RSA', bits: 2048 }) }), ['keyMismatch']],
    ['EC P-256 declared P-384', () => ({ blob: wrapForImport(transportPublic, pkcs8(p256.privateKey), 'SHA-1'), target: target({ kty: 'EC', curve: 'P-384' }) }), ['keyMismatch']],
    ['EC P-224 declared P-256', () => ({ blob: wrapForImport(transportPublic, pkcs8(ec('secp224r1').privateKey), 'SHA-1'), target: target({ kty: 'EC', curve: 'P-256' }, { publicJwk: jwkOf(p256.publicKey) }) }), ['unsupportedKey']],
    ['EC declared RSA', () => ({ blob: wrapForImport(transportPublic, pkcs8(p256.privateKey), 'SHA-1'), target: target({ kty: 'RSA', bits: 2048 }) }), ['keyMaterial']],
    ['RSA declared EC', () => ({ blob: wrapForImport(transportPublic, pkcs8(other.privateKey), 'SHA-1'), target: target({ kty: 'EC', curve: 'P-256' }) }), ['keyMaterial', 'keyMismatch']],
    ['AES-128 declared AES-256', aes((m) => wrapForImport(transportPublic, m, 'SHA-1'), 256, 16), ['keyMismatch']],
    ['20 random bytes declared AES-192', () => ({ blob: wrapForImport(transportPublic, randomBytes(20), 'SHA-1'), target: target({ kty: 'oct', bits: 192 }) }), ['keyMismatch', 'keyMaterial']],
    ['an RSA key declared AES-256', () => ({ blob: wrapForImport(transportPublic, pkcs8(other.privateKey), 'SHA-1'), target: target({ kty: 'oct', bits: 256 }) }), ['keyMismatch']],
    ['EC without the declared public key', () => ({ blob: wrapForImport(transportPublic, pkcs8(p256.privateKey), 'SHA-1'), target: target({ kty: 'EC', curve: 'P-256' }) }), ['publicKeyRequired']],
    ['EC with another declared public key', () => ({ blob: wrapForImport(transportPublic, pkcs8(p256.privateKey), 'SHA-1'), target: target({ kty: 'EC', curve: 'P-256' }, { publicJwk: jwkOf(ec('prime256v1').publicKey) }) }), ['publicKeyMismatch']],
  ];
  it.each(cases)('%s is refused as HsmImportError and leaves no object', async (_name, make, failures) => {
    const { blob, target: t, hash } = make();
    const error: unknown = await hsm.importWrappedKey({ pool: pool.name, transportKey: transport, oaepHash: hash ?? 'SHA-1', blob, target: t }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HsmImportError);
    expect(failures).toContain((error as HsmImportError).failure);
    expect((error as HsmError).code).toBe('HSM_INVALID_INPUT');
    expect(await hsm.exists({ pool: pool.name, objectId: t.objectId })).toBe(false);
  });

  it('a blob whose AES-KWP part is not a multiple of 8 bytes is HSM_INVALID_INPUT before the module is asked', async () => {
    const t = target({ kty: 'oct', bits: 256 });
    const blob = wrapForImport(transportPublic, randomBytes(32), 'SHA-1').subarray(0, 256 + 39);
    await expect(hsm.importWrappedKey({ pool: pool.name, transportKey: transport, oaepHash: 'SHA-1', blob, target: t })).rejects.toMatchObject({ code: 'HSM_INVALID_INPUT' });
  });

  it('the transport key itself can only unwrap: decrypt and sign with it are refused', async () => {
    const block = randomBytes(256);
    await expect(hsm.decrypt(transport, { name: 'RSA_OAEP', hash: 'SHA-1' }, block)).rejects.toMatchObject({ code: 'HSM_OPERATION_NOT_PERMITTED' });
    await expect(hsm.sign(transport, { name: 'RSA_PKCS1_SIGN' }, randomBytes(51))).rejects.toMatchObject({ code: 'HSM_OPERATION_NOT_PERMITTED' });
    await expect(hsm.unwrapValue(transport, { name: 'RSA_OAEP', hash: 'SHA-1' }, block)).rejects.toBeInstanceOf(HsmError);
  });

  if (vendor === 'softhsm2') {
    it('leaves no session object behind (the ephemeral AES key is destroyed on every path)', () => {
      expect(countSessionSecretKeys(pool)).toBe(0);
    });
  }
});
