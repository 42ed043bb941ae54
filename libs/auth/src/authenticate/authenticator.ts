import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { AppConfig, ChangeFeed, Clock, ReadCache } from '@keybridge/platform';
import { createLocalJWKSet, JSONWebKeySet, jwtVerify } from 'jose';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { CertificateMode, matchesBinding, PresentedCertificate, VerifiedCertificate } from '../certificates/certificate-binding';
import { Principal } from '../principals/principal';
import { PrincipalRepository } from '../principals/principal.repository';
import { hashApiToken, looksLikeApiToken } from '../tokens/api-token';

type KeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * Turns a bearer credential (API token or JWT) and the request's client certificate into a principal; anything
 * else is UNAUTHENTICATED. Principals without a certificate binding authenticate by credential alone, as before
 * mTLS; a bound principal also needs its certificate (docs/mtls.md has the whole table).
 */
@Injectable()
export class Authenticator {
  private readonly jwks: KeySet | undefined;
  /** By token hash (hex): the principal and the token's expiry. Revocations and principal changes empty it. */
  private readonly tokens: ReadCache<string, { principal: Principal; expiresAt: Date | null }>;
  private readonly subjects: ReadCache<string, Principal>;

  constructor(
    private readonly principals: PrincipalRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    feed: ChangeFeed,
  ) {
    const file = config.values.KEYBRIDGE_JWT_JWKS_FILE;
    this.jwks = file ? createLocalJWKSet(JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet) : undefined;
    this.tokens = new ReadCache(feed, config, ['api_tokens', 'principals']);
    this.subjects = new ReadCache(feed, config, ['principals']);
  }

  /** `cert` is undefined when the connection carries none (plain HTTP, or TLS without a client certificate). */
  async authenticate(authorization: string | undefined, cert: PresentedCertificate | undefined): Promise<Principal> {
    // A certificate that failed verification is refused even though the credential might suffice on its own:
    // a client that sent one meant to use it, and a revoked or expired certificate must not fall back to "none".
    if (cert?.kind === 'rejected') throw refused(`the client certificate was not accepted (${cert.reason})`);
    if (authorization === undefined) {
      if (!cert) throw unauthenticated();
      return this.byCertificateAlone(cert);
    }
    const principal = await this.byCredential(authorization);
    const binding = principal.certificateBinding;
    if (binding) {
      if (!cert) throw refused(`principal ${principal.name} is bound to a client certificate; present it with the credential`);
      if (!matchesBinding(binding, cert)) throw refused(`the client certificate is not the one bound to principal ${principal.name}`);
      return principal;
    }
    if (cert && (await this.principals.findByCertificate(cert.subject, cert.sha256)).length > 0) {
      throw refused('the client certificate is bound to another principal than the credential\'s');
    }
    return principal;
  }

  private async byCredential(authorization: string): Promise<Principal> {
    const credential = /^Bearer (\S+)$/i.exec(authorization)?.[1];
    if (!credential) throw unauthenticated();
    const principal = looksLikeApiToken(credential) ? await this.fromApiToken(credential) : await this.fromJwt(credential);
    if (!principal) throw unauthenticated();
    return principal;
  }

  private async fromApiToken(token: string): Promise<Principal | undefined> {
    const hash = hashApiToken(token);
    const now = this.clock.now();
    const found = await this.tokens.get(hash.toString('hex'), () => this.principals.findByTokenHash(hash, now));
    // a cached token may have expired since it was read
    return found && (found.expiresAt === null || found.expiresAt > now) ? found.principal : undefined;
  }

  private async byCertificateAlone(cert: VerifiedCertificate): Promise<Principal> {
    const matches = await this.principals.findByCertificate(cert.subject, cert.sha256);
    if (matches.length === 0) throw refused('the client certificate is not bound to a principal; send an API token or JWT');
    if (matches.length > 1) throw refused('the client certificate matches more than one principal\'s binding');
    const [principal] = matches;
    if (principal.certificateBinding?.mode !== CertificateMode.certificate) {
      throw refused(`principal ${principal.name} needs its API token or JWT as well as its client certificate`);
    }
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
      const subject = payload.sub;
      return subject ? await this.subjects.get(subject, () => this.principals.findByJwtSubject(subject)) : undefined;
    } catch {
      return undefined;
    }
  }
}

function unauthenticated(): AuthError {
  return new AuthError(AuthErrorCode.UNAUTHENTICATED, 'a valid API token or JWT is required');
}

/** Messages name the reason and at most the principal the credential itself proved; never the credential. */
function refused(reason: string): AuthError {
  return new AuthError(AuthErrorCode.UNAUTHENTICATED, reason);
}
