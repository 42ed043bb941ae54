import { constants, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttestationClaims, canonicalClaims } from '@keybridge/byok/formats';
import { byokWrap } from './byok-wrap';

const attestation = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const transport = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = '/vaults/v1/transport-keys/6f1c2b4e-8a1d-4c1e-9f3a-1b2c3d4e5f60';

function savedTransportKey(over: Partial<AttestationClaims> = {}): string {
  const claims: AttestationClaims = {
    format: 'keybridge.byok.transport-key-attestation',
    version: 1,
    kid: KID,
    vault: 'v1',
    pool: 'pool-a',
    spki: transport.publicKey.export({ format: 'der', type: 'spki' }).toString('base64url'),
    keyOps: ['import'],
    oaepHashes: ['SHA-1'],
    maxUses: 1,
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-02T00:00:00.000Z',
    attestationKid: '/vaults/v1/attestation-keys/0d1c2b4e-8a1d-4c1e-9f3a-1b2c3d4e5f60',
    ...over,
  };
  const payload = canonicalClaims(claims);
  const signature = sign('sha256', Buffer.from(payload), { key: attestation.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const attestationPublicKeyPem = attestation.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  return JSON.stringify({ kid: KID, attestation: { format: claims.format, alg: 'ES256', payload, signature, attestationKid: claims.attestationKid, attestationPublicKeyPem } });
}

/** Undoes the blob with the transport private key: what the HSM does, here in the test only. */
function unwrap(blob: Buffer): Buffer {
  const ephemeral = privateDecrypt({ key: transport.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, blob.subarray(0, 256));
  const decipher = createDecipheriv('id-aes256-wrap-pad', ephemeral, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([decipher.update(blob.subarray(256)), decipher.final()]);
}

describe('keybridge byok wrap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-wrap-'));
  const path = (name: string): string => join(dir, name);
  const now = new Date('2026-01-01T12:00:00Z');
  const quiet = (): void => undefined;
  writeFileSync(path('attestation.pem'), attestation.publicKey.export({ format: 'pem', type: 'spki' }));
  writeFileSync(path('tk.json'), savedTransportKey());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a .byok file whose ciphertext holds the AES key, for the attested kid', () => {
    const aes = randomBytes(32);
    writeFileSync(path('k.bin'), aes);
    const code = byokWrap({ transportKey: path('tk.json'), verifyAttestation: path('attestation.pem'), key: path('k.bin'), hash: 'sha1', format: 'byok', out: path('k.byok'), now }, quiet);
    expect(code).toBe(0);
    const file = JSON.parse(readFileSync(path('k.byok'), 'utf8')) as { header: { kid: string }; ciphertext: string };
    expect(file.header).toEqual({ kid: KID, alg: 'dir', enc: 'CKM_RSA_AES_KEY_WRAP' });
    expect(unwrap(Buffer.from(file.ciphertext, 'base64url'))).toEqual(aes);
  });

  it('writes a raw blob of an EC PEM key as PKCS#8 DER, and the public key beside it', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    writeFileSync(path('ec.pem'), ec.privateKey.export({ format: 'pem', type: 'sec1' }));
    byokWrap({ transportKey: path('tk.json'), verifyAttestation: path('attestation.pem'), key: path('ec.pem'), hash: 'sha1', format: 'raw', out: path('ec.blob'), now }, quiet);
    expect(unwrap(readFileSync(path('ec.blob')))).toEqual(ec.privateKey.export({ format: 'der', type: 'pkcs8' }));
    expect(readFileSync(path('ec.blob.pub.pem'), 'utf8')).toBe(ec.publicKey.export({ format: 'pem', type: 'spki' }));
  });

  it.each<[string, () => Parameters<typeof byokWrap>[0], RegExp]>([
    ['an expired transport key', () => ({ transportKey: path('tk.json'), verifyAttestation: path('attestation.pem'), key: path('k.bin'), hash: 'sha1', format: 'byok', out: path('x'), now: new Date('2026-01-03T00:00:00Z') }), /expired/],
    ['a hash the pool cannot unwrap', () => ({ transportKey: path('tk.json'), verifyAttestation: path('attestation.pem'), key: path('k.bin'), hash: 'sha256', format: 'byok', out: path('x'), now }), /cannot unwrap RSA-OAEP with SHA-256/],
    ['another pinned attestation key', () => {
      writeFileSync(path('other.pem'), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }));
      return { transportKey: path('tk.json'), verifyAttestation: path('other.pem'), key: path('k.bin'), hash: 'sha1', format: 'byok', out: path('x'), now };
    }, /signature does not verify/],
    ['a .byok from a bare PEM without --kid', () => {
      writeFileSync(path('tk.pem'), transport.publicKey.export({ format: 'pem', type: 'spki' }));
      return { transportKey: path('tk.pem'), key: path('k.bin'), hash: 'sha1', format: 'byok', out: path('x'), now };
    }, /names its transport key/],
    ['an unknown hash', () => ({ transportKey: path('tk.json'), key: path('k.bin'), hash: 'md5', format: 'byok', out: path('x'), now }), /--hash/],
  ])('refuses %s', (_name, options, message) => {
    expect(() => byokWrap(options(), quiet)).toThrow(message);
  });
});
