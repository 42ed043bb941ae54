import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, ChangeFeed, Clock } from '@keybridge/platform';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { CertificateMode, matchesBinding, PresentedCertificate, VerifiedCertificate } from '../certificates/certificate-binding';
import { Principal } from '../principals/principal';
import { PrincipalRepository } from '../principals/principal.repository';
import { hashApiToken, newApiToken } from '../tokens/api-token';
import { Authenticator } from './authenticator';

const alice: Principal = { id: '11111111-1111-1111-1111-111111111111', name: 'alice', globalPermissions: [] };

const sha = (c: string): string => c.repeat(64);
const cert = (subject: string, sha256: string): VerifiedCertificate => ({ kind: 'verified', subject, sha256 });
const certs = {
  carol: cert('CN=carol', sha('c')),
  dave: cert('O=Acme\nCN=dave', sha('d')),
  daveSubjectOtherKey: cert('O=Acme\nCN=dave', sha('e')),
  erin: cert('CN=erin', sha('1')),
  shared: cert('CN=shared', sha('5')),
  unbound: cert('CN=nobody', sha('0')),
};
const rejected: PresentedCertificate = { kind: 'rejected', reason: 'CERT_HAS_EXPIRED' };

/** carol: certificate alone (by fingerprint); dave: certificate and token (subject and fingerprint); erin: by subject. */
const carol: Principal = { id: 'c', name: 'carol', globalPermissions: [], certificateBinding: { subject: null, sha256: sha('c'), mode: CertificateMode.certificate } };
const dave: Principal = {
  id: 'd',
  name: 'dave',
  globalPermissions: [],
  certificateBinding: { subject: 'O=Acme\nCN=dave', sha256: sha('d'), mode: CertificateMode.certificateAndToken },
};
const erin: Principal = { id: 'e', name: 'erin', globalPermissions: [], certificateBinding: { subject: 'CN=erin', sha256: null, mode: CertificateMode.certificate } };
// Two bindings one certificate matches: only a race between two binds could leave that behind.
const twin1: Principal = { id: 't1', name: 'twin1', globalPermissions: [], certificateBinding: { subject: 'CN=shared', sha256: null, mode: CertificateMode.certificate } };
const twin2: Principal = { id: 't2', name: 'twin2', globalPermissions: [], certificateBinding: { subject: null, sha256: sha('5'), mode: CertificateMode.certificate } };
const bound = [carol, dave, erin, twin1, twin2];

const tokens = { alice: newApiToken(), carol: newApiToken(), dave: newApiToken() };
const byTokenHash = new Map<string, Principal>([
  [tokens.alice.hash.toString('hex'), alice],
  [tokens.carol.hash.toString('hex'), carol],
  [tokens.dave.hash.toString('hex'), dave],
]);

class FakePrincipals {
  constructor(private readonly tokenHash: Buffer) {}
  async findByTokenHash(hash: Buffer): Promise<{ principal: Principal; expiresAt: Date | null } | undefined> {
    const principal = hash.equals(this.tokenHash) ? alice : byTokenHash.get(hash.toString('hex'));
    return principal && { principal, expiresAt: null };
  }
  async findByJwtSubject(subject: string): Promise<Principal | undefined> {
    return subject === 'alice@idp' ? alice : subject === 'dave@idp' ? dave : undefined;
  }
  async findByCertificate(subject: string, sha256: string): Promise<Principal[]> {
    return bound.filter((p) => p.certificateBinding && matchesBinding(p.certificateBinding, cert(subject, sha256)));
  }
}

class FixedClock extends Clock {
  now(): Date {
    return new Date();
  }
}

describe('Authenticator', () => {
  const { token, hash } = newApiToken();
  let authenticator: Authenticator;
  let privateKey: SigningKey;
  let otherKey: SigningKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    const jwks = join(dir, 'jwks.json');
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'ES256' }] }));
    const config = AppConfig.fromEnv({
      DATABASE_URL: 'postgres://x',
      REDIS_URL: 'redis://x',
      KEYBRIDGE_POOLS_FILE: '/dev/null',
      KEYBRIDGE_JWT_JWKS_FILE: jwks,
      KEYBRIDGE_JWT_ISSUER: 'https://idp.example',
      KEYBRIDGE_JWT_AUDIENCE: 'keybridge',
    });
    // a feed that never connected: caches are bypassed, every lookup reaches the fake repository
    authenticator = new Authenticator(new FakePrincipals(hash) as unknown as PrincipalRepository, new FixedClock(), config, new ChangeFeed(config));
  });

  const jwt = (key: SigningKey, claims: { sub?: string; iss?: string; aud?: string; exp?: string }) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setSubject(claims.sub ?? 'alice@idp')
      .setIssuer(claims.iss ?? 'https://idp.example')
      .setAudience(claims.aud ?? 'keybridge')
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? '5m')
      .sign(key);

  it('accepts an API token by its hash', async () => {
    expect(hashApiToken(token)).toEqual(hash);
    await expect(authenticator.authenticate(`Bearer ${token}`, undefined)).resolves.toEqual(alice);
  });

  it('accepts a JWT signed by a configured key with the right issuer and audience', async () => {
    await expect(authenticator.authenticate(`Bearer ${await jwt(privateKey, {})}`, undefined)).resolves.toEqual(alice);
  });

  it.each([
    ['no header', async () => undefined],
    ['a non-bearer scheme', async () => `Basic ${token}`],
    ['an unknown API token', async () => `Bearer ${newApiToken().token}`],
    ['a JWT signed by another key', async () => `Bearer ${await jwt(otherKey, {})}`],
    ['a JWT for another audience', async () => `Bearer ${await jwt(privateKey, { aud: 'someone-else' })}`],
    ['a JWT from another issuer', async () => `Bearer ${await jwt(privateKey, { iss: 'https://evil.example' })}`],
    ['an expired JWT', async () => `Bearer ${await jwt(privateKey, { exp: '1s ago' })}`],
    ['a JWT for an unknown subject', async () => `Bearer ${await jwt(privateKey, { sub: 'mallory' })}`],
  ])('refuses %s with UNAUTHENTICATED', async (_name, header) => {
    await expect(authenticator.authenticate(await header(), undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  describe('with client certificates', () => {
    const bearer = (t: { token: string }) => `Bearer ${t.token}`;

    it.each([
      ['an unbound principal\'s token, no certificate (as before mTLS)', () => bearer(tokens.alice), undefined, alice],
      ['an unbound principal\'s token with a certificate bound to nobody', () => bearer(tokens.alice), certs.unbound, alice],
      ['a certificate-mode certificate alone', () => undefined, certs.carol, carol],
      ['a certificate-mode certificate with its own principal\'s token', () => bearer(tokens.carol), certs.carol, carol],
      ['a certificate bound by subject only, any key', () => undefined, cert('CN=erin', sha('9')), erin],
      ['a certificateAndToken principal\'s token with its certificate', () => bearer(tokens.dave), certs.dave, dave],
    ])('accepts %s', async (_name, header, presented, expected) => {
      await expect(authenticator.authenticate(header(), presented)).resolves.toEqual(expected);
    });

    it('accepts a certificateAndToken principal\'s JWT with its certificate', async () => {
      await expect(authenticator.authenticate(`Bearer ${await jwt(privateKey, { sub: 'dave@idp' })}`, certs.dave)).resolves.toEqual(dave);
    });

    it.each([
      ['a rejected certificate with a valid token', () => bearer(tokens.alice), rejected, /not accepted \(CERT_HAS_EXPIRED\)/],
      ['a rejected certificate alone', () => undefined, rejected, /not accepted/],
      ['a certificate bound to nobody, alone', () => undefined, certs.unbound, /not bound to a principal/],
      ['a certificateAndToken certificate alone', () => undefined, certs.dave, /dave needs its API token or JWT/],
      ['a certificate-mode principal\'s token without a certificate', () => bearer(tokens.carol), undefined, /carol is bound to a client certificate/],
      ['a certificateAndToken principal\'s token without a certificate', () => bearer(tokens.dave), undefined, /dave is bound to a client certificate/],
      ['a bound principal\'s token with another principal\'s certificate', () => bearer(tokens.dave), certs.carol, /not the one bound to principal dave/],
      ['a bound principal\'s token with its subject but another key', () => bearer(tokens.dave), certs.daveSubjectOtherKey, /not the one bound/],
      ['an unbound principal\'s token with a bound principal\'s certificate', () => bearer(tokens.alice), certs.carol, /bound to another principal/],
      ['a certificate matching two bindings', () => undefined, certs.shared, /more than one principal/],
      ['an unknown token with a certificate-mode certificate', () => `Bearer ${newApiToken().token}`, certs.carol, /API token or JWT is required/],
    ])('refuses %s with UNAUTHENTICATED', async (_name, header, presented, reason) => {
      const error = await authenticator.authenticate(header(), presented).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(reason) });
      for (const t of Object.values(tokens)) expect((error as Error).message).not.toContain(t.token);
    });

    it('refuses a JWT of a certificateAndToken principal with another certificate', async () => {
      const header = `Bearer ${await jwt(privateKey, { sub: 'dave@idp' })}`;
      await expect(authenticator.authenticate(header, certs.unbound)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    });
  });
});
