import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { AttestationClaims, canonicalClaims, verifyAttestation } from './transport-key-attestation';

const attestation = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const transport = generateKeyPairSync('rsa', { modulusLength: 2048 });
const claims: AttestationClaims = {
  format: 'keybridge.byok.transport-key-attestation',
  version: 1,
  kid: '/vaults/v1/transport-keys/6f1c2b4e-8a1d-4c1e-9f3a-1b2c3d4e5f60',
  vault: 'v1',
  pool: 'pool-a',
  spki: transport.publicKey.export({ format: 'der', type: 'spki' }).toString('base64url'),
  keyOps: ['import'],
  oaepHashes: ['SHA-1'],
  maxUses: 1,
  issuedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-02T00:00:00.000Z',
  attestationKid: '/vaults/v1/attestation-keys/0d1c2b4e-8a1d-4c1e-9f3a-1b2c3d4e5f60',
};
const signPayload = (payload: string): string =>
  sign('sha256', Buffer.from(payload, 'utf8'), { key: attestation.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
const before = new Date('2026-01-01T12:00:00Z');

describe('transport key attestation', () => {
  it('is RFC 8785 canonical JSON: members sorted, no whitespace', () => {
    const text = canonicalClaims(claims);
    expect(text.startsWith('{"attestationKid":')).toBe(true);
    expect(text).not.toMatch(/\s/);
    expect(createHash('sha256').update(text).digest('hex')).toHaveLength(64);
  });

  it('verifies with the attestation key and yields the claims and the transport key', () => {
    const payload = canonicalClaims(claims);
    const result = verifyAttestation(payload, signPayload(payload), attestation.publicKey, before);
    expect(result.claims).toEqual(claims);
    expect(result.transportKey.equals(transport.publicKey)).toBe(true);
  });

  it.each<[string, () => [string, string, Date, ReturnType<typeof generateKeyPairSync>['publicKey']?], RegExp]>([
    ['a changed payload', () => { const p = canonicalClaims(claims); return [p.replace('"maxUses":1', '"maxUses":2'), signPayload(p), before]; }, /signature does not verify/],
    ['another attestation key', () => { const p = canonicalClaims(claims); return [p, signPayload(p), before, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey]; }, /signature does not verify/],
    ['a DER signature', () => { const p = canonicalClaims(claims); return [p, sign('sha256', Buffer.from(p), attestation.privateKey).toString('base64url'), before]; }, /64-byte/],
    ['a payload that is not canonical', () => { const p = JSON.stringify(claims, null, 1); return [p, signPayload(p), before]; }, /canonical/],
    ['another format', () => { const p = canonicalClaims({ ...claims, format: 'x' } as unknown as AttestationClaims); return [p, signPayload(p), before]; }, /not a keybridge/],
    ['an expired key', () => { const p = canonicalClaims(claims); return [p, signPayload(p), new Date('2026-01-02T00:00:00Z')]; }, /expired/],
  ])('refuses %s', (_name, make, message) => {
    const [payload, signature, now, key] = make();
    expect(() => verifyAttestation(payload, signature, key ?? attestation.publicKey, now)).toThrow(message);
  });
});
