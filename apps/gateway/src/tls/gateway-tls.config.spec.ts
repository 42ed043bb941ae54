import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@keybridge/platform';
import { ClientAuth, GatewayTlsConfig } from './gateway-tls.config';

describe('GatewayTlsConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-tls-config-'));
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not a PEM\n');
  let certs: string;

  beforeAll(() => {
    certs = join(dir, 'certs');
    execFileSync('bash', [join(__dirname, '..', '..', '..', '..', 'ops', 'local', 'dev-certs.sh'), certs], { stdio: 'ignore' });
  });

  const env = (values: Record<string, string>) => values;
  const full = () =>
    env({
      KEYBRIDGE_TLS_CERT_FILE: join(certs, 'server.pem'),
      KEYBRIDGE_TLS_KEY_FILE: join(certs, 'server.key'),
      KEYBRIDGE_TLS_CLIENT_CA_FILE: join(certs, 'ca.pem'),
      KEYBRIDGE_TLS_CLIENT_AUTH: 'require',
      KEYBRIDGE_TLS_CRL_FILE: join(certs, 'crl.pem'),
    });

  it('serves plain HTTP when nothing is set (and when the variables are empty)', () => {
    expect(GatewayTlsConfig.fromEnv({}).httpsOptions).toBeUndefined();
    expect(GatewayTlsConfig.fromEnv({ KEYBRIDGE_TLS_CERT_FILE: '', KEYBRIDGE_TLS_KEY_FILE: '', KEYBRIDGE_TLS_CLIENT_AUTH: '' }).scheme).toBe('http');
  });

  it('require: the handshake asks for and verifies a client certificate against the CA and the CRL', () => {
    const config = GatewayTlsConfig.fromEnv(full());
    expect(config.clientAuth).toBe(ClientAuth.require);
    expect(config.httpsOptions).toMatchObject({ requestCert: true, rejectUnauthorized: true });
    expect(config.httpsOptions?.ca).toBeInstanceOf(Buffer);
    expect(config.httpsOptions?.crl).toBeInstanceOf(Buffer);
  });

  it('optional: asks for a certificate but lets the request decide', () => {
    const config = GatewayTlsConfig.fromEnv({ ...full(), KEYBRIDGE_TLS_CLIENT_AUTH: 'optional' });
    expect(config.httpsOptions).toMatchObject({ requestCert: true, rejectUnauthorized: false });
  });

  it('off with HTTPS: no client certificate is asked for', () => {
    const { KEYBRIDGE_TLS_CERT_FILE, KEYBRIDGE_TLS_KEY_FILE } = full();
    const config = GatewayTlsConfig.fromEnv({ KEYBRIDGE_TLS_CERT_FILE, KEYBRIDGE_TLS_KEY_FILE });
    expect(config.scheme).toBe('https');
    expect(config.httpsOptions?.requestCert).toBeUndefined();
  });

  it.each([
    ['a certificate without a key', () => ({ KEYBRIDGE_TLS_CERT_FILE: full().KEYBRIDGE_TLS_CERT_FILE }), /set both \(HTTPS\) or neither/],
    ['a key without a certificate', () => ({ KEYBRIDGE_TLS_KEY_FILE: full().KEYBRIDGE_TLS_KEY_FILE }), /set both/],
    ['an unknown client auth mode', () => ({ ...full(), KEYBRIDGE_TLS_CLIENT_AUTH: 'required' }), /KEYBRIDGE_TLS_CLIENT_AUTH/],
    ['client auth without HTTPS', () => ({ KEYBRIDGE_TLS_CLIENT_AUTH: 'require', KEYBRIDGE_TLS_CLIENT_CA_FILE: full().KEYBRIDGE_TLS_CLIENT_CA_FILE }), /needs HTTPS/],
    ['client auth without a client CA', () => ({ ...full(), KEYBRIDGE_TLS_CLIENT_CA_FILE: '', KEYBRIDGE_TLS_CRL_FILE: '' }), /needs KEYBRIDGE_TLS_CLIENT_CA_FILE/],
    ['a client CA with client auth off', () => ({ ...full(), KEYBRIDGE_TLS_CLIENT_AUTH: 'off', KEYBRIDGE_TLS_CRL_FILE: '' }), /client_auth is off/i],
    ['a CRL with client auth off', () => ({ ...full(), KEYBRIDGE_TLS_CLIENT_AUTH: 'off', KEYBRIDGE_TLS_CLIENT_CA_FILE: '' }), /is off/],
    ['a missing certificate file', () => ({ ...full(), KEYBRIDGE_TLS_CERT_FILE: join(dir, 'nope.pem') }), /KEYBRIDGE_TLS_CERT_FILE: cannot be read \(ENOENT\)/],
    ['a key that does not parse', () => ({ ...full(), KEYBRIDGE_TLS_KEY_FILE: garbage }), /KEYBRIDGE_TLS_KEY_FILE: cannot be loaded/],
    ['a key of another certificate', () => ({ ...full(), KEYBRIDGE_TLS_KEY_FILE: join(certs, 'client.key') }), /cannot be loaded/],
    ['a CRL that does not parse', () => ({ ...full(), KEYBRIDGE_TLS_CRL_FILE: garbage }), /KEYBRIDGE_TLS_CRL_FILE: cannot be loaded/],
  ])('stops at boot with one line for %s', (_name, values, message) => {
    let error: unknown;
    try {
      GatewayTlsConfig.fromEnv(values());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
