import { readFileSync } from 'node:fs';
import { createSecureContext, SecureContextOptions } from 'node:tls';
import { NestApplicationOptions } from '@nestjs/common';
import { ConfigError } from '@keybridge/platform';
import { z } from 'zod';

/** Whether the TLS handshake asks for a client certificate and whether it refuses connections without a valid one. */
export enum ClientAuth {
  off = 'off',
  /** Asked for; a client without one connects, one with an invalid one gets UNAUTHENTICATED on every request. */
  optional = 'optional',
  /** The handshake fails without a certificate that verifies against the client CA (and the CRL, if given). */
  require = 'require',
}

// Unset and empty are the same: env files and orchestrators often write `NAME=` for "not configured".
const file = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

const envSchema = z.object({
  KEYBRIDGE_TLS_CERT_FILE: file,
  KEYBRIDGE_TLS_KEY_FILE: file,
  KEYBRIDGE_TLS_CLIENT_CA_FILE: file,
  KEYBRIDGE_TLS_CLIENT_AUTH: z.preprocess((v) => (v === '' ? undefined : v), z.enum(ClientAuth).default(ClientAuth.off)),
  KEYBRIDGE_TLS_CRL_FILE: file,
});

type TlsEnv = z.infer<typeof envSchema>;
export type HttpsOptions = NonNullable<NestApplicationOptions['httpsOptions']>;

/**
 * The gateway's HTTPS and client-certificate settings, checked at boot: a combination that would silently serve
 * less than asked for (a CA without client auth, client auth without HTTPS) or files that do not load stop the
 * gateway with one line. The CRL is read once; changing it needs a restart (docs/mtls.md).
 */
export class GatewayTlsConfig {
  private constructor(
    readonly clientAuth: ClientAuth,
    /** Undefined: plain HTTP. */
    readonly httpsOptions: HttpsOptions | undefined,
  ) {}

  get scheme(): 'http' | 'https' {
    return this.httpsOptions ? 'https' : 'http';
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): GatewayTlsConfig {
    const parsed = envSchema.safeParse(env);
    if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    const values = parsed.data;
    const problems = combinationProblems(values);
    if (problems.length) fail(problems);
    if (!values.KEYBRIDGE_TLS_CERT_FILE || !values.KEYBRIDGE_TLS_KEY_FILE) return new GatewayTlsConfig(ClientAuth.off, undefined);

    const read = (name: keyof TlsEnv): Buffer | undefined => {
      const path = values[name];
      if (!path) return undefined;
      try {
        return readFileSync(path);
      } catch (error) {
        return fail([`${name}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
      }
    };
    const server: SecureContextOptions = { cert: read('KEYBRIDGE_TLS_CERT_FILE'), key: read('KEYBRIDGE_TLS_KEY_FILE') };
    const ca = read('KEYBRIDGE_TLS_CLIENT_CA_FILE');
    const crl = read('KEYBRIDGE_TLS_CRL_FILE');
    loads('KEYBRIDGE_TLS_CERT_FILE / KEYBRIDGE_TLS_KEY_FILE', server);
    if (ca) loads('KEYBRIDGE_TLS_CLIENT_CA_FILE', { ca });
    if (crl) loads('KEYBRIDGE_TLS_CRL_FILE', { ca, crl });

    const clientAuth = values.KEYBRIDGE_TLS_CLIENT_AUTH;
    const httpsOptions: HttpsOptions = {
      ...server,
      ...(clientAuth === ClientAuth.off ? {} : { ca, requestCert: true, rejectUnauthorized: clientAuth === ClientAuth.require }),
      ...(crl ? { crl } : {}),
    };
    return new GatewayTlsConfig(clientAuth, httpsOptions);
  }
}

function combinationProblems(v: TlsEnv): string[] {
  const problems: string[] = [];
  const https = Boolean(v.KEYBRIDGE_TLS_CERT_FILE && v.KEYBRIDGE_TLS_KEY_FILE);
  if (Boolean(v.KEYBRIDGE_TLS_CERT_FILE) !== Boolean(v.KEYBRIDGE_TLS_KEY_FILE)) {
    problems.push('KEYBRIDGE_TLS_CERT_FILE and KEYBRIDGE_TLS_KEY_FILE: set both (HTTPS) or neither (plain HTTP)');
  }
  if (v.KEYBRIDGE_TLS_CLIENT_AUTH !== ClientAuth.off) {
    if (!https) problems.push(`KEYBRIDGE_TLS_CLIENT_AUTH: ${v.KEYBRIDGE_TLS_CLIENT_AUTH} needs HTTPS (KEYBRIDGE_TLS_CERT_FILE and KEYBRIDGE_TLS_KEY_FILE)`);
    if (!v.KEYBRIDGE_TLS_CLIENT_CA_FILE) problems.push(`KEYBRIDGE_TLS_CLIENT_AUTH: ${v.KEYBRIDGE_TLS_CLIENT_AUTH} needs KEYBRIDGE_TLS_CLIENT_CA_FILE`);
  } else if (v.KEYBRIDGE_TLS_CLIENT_CA_FILE || v.KEYBRIDGE_TLS_CRL_FILE) {
    problems.push('KEYBRIDGE_TLS_CLIENT_CA_FILE / KEYBRIDGE_TLS_CRL_FILE: set but KEYBRIDGE_TLS_CLIENT_AUTH is off (use optional or require)');
  }
  return problems;
}

function loads(name: string, options: SecureContextOptions): void {
  try {
    createSecureContext(options);
  } catch (error) {
    fail([`${name}: cannot be loaded (${error instanceof Error ? error.message : String(error)})`]);
  }
}

function fail(problems: string[]): never {
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
