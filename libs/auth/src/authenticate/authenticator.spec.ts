import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, Clock } from '@keybridge/platform';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { Principal } from '../principals/principal';
import { PrincipalRepository } from '../principals/principal.repository';
import { hashApiToken, newApiToken } from '../tokens/api-token';
import { Authenticator } from './authenticator';

const alice: Principal = { id: '11111111-1111-1111-1111-111111111111', name: 'alice', globalPermissions: [] };

class FakePrincipals {
  constructor(private readonly tokenHash: Buffer) {}
  async findByTokenHash(hash: Buffer): Promise<Principal | undefined> {
    return hash.equals(this.tokenHash) ? alice : undefined;
  }
  async findByJwtSubject(subject: string): Promise<Principal | undefined> {
    return subject === 'alice@idp' ? alice : undefined;
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
    authenticator = new Authenticator(new FakePrincipals(hash) as unknown as PrincipalRepository, new FixedClock(), config);
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
    await expect(authenticator.authenticate(`Bearer ${token}`)).resolves.toEqual(alice);
  });

  it('accepts a JWT signed by a configured key with the right issuer and audience', async () => {
    await expect(authenticator.authenticate(`Bearer ${await jwt(privateKey, {})}`)).resolves.toEqual(alice);
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
    await expect(authenticator.authenticate(await header())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
