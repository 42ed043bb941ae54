import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { HsmImportError, ImportTarget, KeySpec, KeyUsage, PublicKeyJwk } from '@keybridge/hsm';
import { FakeHsm } from '@keybridge/hsm/testing';
import { wrapForImport } from './byok-format';
import { readKeyMaterial } from './key-material';

const FULL: KeyUsage = { encrypt: true, decrypt: true, wrap: true, unwrap: true, sign: true, verify: true };
const USAGE: Record<KeySpec['kty'], KeyUsage> = {
  RSA: FULL,
  EC: { ...FULL, encrypt: false, decrypt: false, wrap: false, unwrap: false },
  oct: { ...FULL, sign: false, verify: false },
};

// Blobs made by wrapForImport import into the fake HSM, which applies the adapter's checks and failure kinds.
describe('wrapForImport with the fake HSM', () => {
  const hsm = new FakeHsm([{ name: 'pool-a', capabilities: { oaepHashes: ['SHA-1'] } }]);
  let transport: { pool: string; objectId: string };
  let transportKey: ReturnType<typeof createPublicKey>;
  let n = 0;
  const target = (spec: KeySpec, publicJwk?: PublicKeyJwk): ImportTarget => ({ objectId: (++n).toString(16).padStart(4, '0'), label: 't', spec, usage: USAGE[spec.kty], exportable: false, publicJwk });

  beforeAll(async () => {
    const generated = await hsm.generateKey({ pool: 'pool-a', objectId: 'ff00', label: 'tk', spec: { kty: 'RSA', bits: 2048 }, usage: { ...FULL, decrypt: false, sign: false }, exportable: false });
    transport = generated.ref;
    transportKey = createPublicKey({ key: generated.publicJwk as PublicKeyJwk, format: 'jwk' });
  });

  it('an AES key wraps to its length + 8 after the OAEP part and imports', async () => {
    const blob = wrapForImport(transportKey, randomBytes(24), 'SHA-1');
    expect(blob).toHaveLength(256 + 32);
    const imported = await hsm.importWrappedKey({ pool: 'pool-a', transportKey: transport, oaepHash: 'SHA-1', blob, target: target({ kty: 'oct', bits: 192 }) });
    expect(await hsm.exists(imported.ref)).toBe(true);
  });

  it('RSA and EC keys read from PEM files import with their public keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const material = readKeyMaterial(Buffer.from(rsa.privateKey.export({ format: 'pem', type: 'pkcs1' })));
    expect(material.kty).toBe('RSA');
    const imported = await hsm.importWrappedKey({ pool: 'pool-a', transportKey: transport, oaepHash: 'SHA-1', blob: wrapForImport(transportKey, material.material, 'SHA-1'), target: target({ kty: 'RSA', bits: 2048 }) });
    expect(createPublicKey({ key: imported.publicJwk as PublicKeyJwk, format: 'jwk' }).equals(rsa.publicKey)).toBe(true);
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const ecMaterial = readKeyMaterial(ec.privateKey.export({ format: 'der', type: 'sec1' }));
    expect(ecMaterial).toMatchObject({ kty: 'EC', curve: 'P-384' });
    const jwk = ec.publicKey.export({ format: 'jwk' });
    await hsm.importWrappedKey({
      pool: 'pool-a',
      transportKey: transport,
      oaepHash: 'SHA-1',
      blob: wrapForImport(transportKey, ecMaterial.material, 'SHA-1'),
      target: target({ kty: 'EC', curve: 'P-384' }, { kty: 'EC', crv: 'P-384', x: String(jwk.x), y: String(jwk.y) }),
    });
  });

  it.each<[string, () => { blob: Buffer; t: ImportTarget; hash?: 'SHA-1' | 'SHA-256' }, string]>([
    ['a tampered OAEP part', () => { const b = wrapForImport(transportKey, randomBytes(32), 'SHA-1'); b[3] ^= 1; return { blob: b, t: target({ kty: 'oct', bits: 256 }) }; }, 'oaep'],
    ['a tampered AES-KWP part', () => { const b = wrapForImport(transportKey, randomBytes(32), 'SHA-1'); b[260] ^= 1; return { blob: b, t: target({ kty: 'oct', bits: 256 }) }; }, 'kwp'],
    ['RSA-1024', () => ({ blob: wrapForImport(transportKey, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'der', type: 'pkcs8' }), 'SHA-1'), t: target({ kty: 'RSA', bits: 2048 }) }), 'unsupportedKey'],
    ['EC declared RSA', () => ({ blob: wrapForImport(transportKey, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'der', type: 'pkcs8' }), 'SHA-1'), t: target({ kty: 'RSA', bits: 2048 }) }), 'keyMismatch'],
    ['EC without a declared public key', () => ({ blob: wrapForImport(transportKey, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'der', type: 'pkcs8' }), 'SHA-1'), t: target({ kty: 'EC', curve: 'P-256' }) }), 'publicKeyRequired'],
    ['AES-128 declared AES-256', () => ({ blob: wrapForImport(transportKey, randomBytes(16), 'SHA-1'), t: target({ kty: 'oct', bits: 256 }) }), 'keyMismatch'],
  ])('refuses %s as HsmImportError(%s) and keeps nothing', async (_name, make, failure) => {
    const { blob, t } = make();
    const error: unknown = await hsm.importWrappedKey({ pool: 'pool-a', transportKey: transport, oaepHash: 'SHA-1', blob, target: t }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HsmImportError);
    expect((error as HsmImportError).failure).toBe(failure);
    expect(await hsm.exists({ pool: 'pool-a', objectId: t.objectId })).toBe(false);
  });

  it('refuses an OAEP hash the pool cannot unwrap as UNSUPPORTED_BY_HSM', async () => {
    const blob = wrapForImport(transportKey, randomBytes(32), 'SHA-256');
    await expect(hsm.importWrappedKey({ pool: 'pool-a', transportKey: transport, oaepHash: 'SHA-256', blob, target: target({ kty: 'oct', bits: 256 }) })).rejects.toMatchObject({
      code: 'UNSUPPORTED_BY_HSM',
    });
  });

  it('readKeyMaterial refuses what is not a key', () => {
    expect(() => readKeyMaterial(randomBytes(20))).toThrow(/neither/);
    expect(() => readKeyMaterial(Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'))).toThrow(/PEM/);
    expect(readKeyMaterial(randomBytes(16), true)).toMatchObject({ kty: 'oct', size: 128 });
  });
});
