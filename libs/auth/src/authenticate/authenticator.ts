import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { AppConfig, Clock } from '@keybridge/platform';
import { createLocalJWKSet, JSONWebKeySet, jwtVerify } from 'jose';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { Principal } from '../principals/principal';
import { PrincipalRepository } from '../principals/principal.repository';
import { hashApiToken, looksLikeApiToken } from '../tokens/api-token';

type KeySet = ReturnType<typeof createLocalJWKSet>;

/** Turns a bearer credential (API token or JWT) into a principal; anything else is UNAUTHENTICATED. */
@Injectable()
export class Authenticator {
  private readonly jwks: KeySet | undefined;

  constructor(
    private readonly principals: PrincipalRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    const file = config.values.KEYBRIDGE_JWT_JWKS_FILE;
    this.jwks = file ? createLocalJWKSet(JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet) : undefined;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const credential = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    if (!credential) throw unauthenticated();
    const principal = looksLikeApiToken(credential)
      ? await this.principals.findByTokenHash(hashApiToken(credential), this.clock.now())
      : await this.fromJwt(credential);
    if (!principal) throw unauthenticated();
    return principal;
  }

  private async fromJwt(jwt: string): Promise<Principal | undefined> {
    if (!this.jwks) return undefined;
    try {
      const { payload } = await jwtVerify(jwt, this.jwks, {
        issuer: this.config.values.KEYBRIDGE_JWT_ISSUER,
        audience: this.config.values.KEYBRIDGE_JWT_AUDIENCE,
        currentDate: this.clock.now(),
      });
      return payload.sub ? await this.principals.findByJwtSubject(payload.sub) : undefined;
    } catch {
      return undefined;
    }
  }
}

function unauthenticated(): AuthError {
  return new AuthError(AuthErrorCode.UNAUTHENTICATED, 'a valid API token or JWT is required');
}
