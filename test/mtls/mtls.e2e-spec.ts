import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admin, adminDatabase, GatewayClient, principalWith, uniqueName } from '@keybridge/testing';
import { devCertificates, execFileAsync, freePort, HANDSHAKE_REFUSED, TlsClient, tlsGraphql, TlsGateway } from './tls-gateway';

const BIND = 'mutation($p: String!, $s: String, $h: String, $m: String!) { bindPrincipalCertificate(principal: $p, subject: $s, sha256: $h, mode: $m) { principalName subject sha256 mode } }';
const KEYS = 'query($v: String!) { keys(vault: $v, first: 5) { edges { node { name } } } }';

describe('mutual TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-mtls-'));
  const certOnly = uniqueName('mtls-a');
  const certAndToken = uniqueName('mtls-c');
  let required: TlsGateway;
  let optional: TlsGateway;
  let starting: Promise<unknown> | undefined;
  let rootToken: string;
  /** Principals: A (bound, certificate alone), B (unbound), C (bound, certificate and token); one vault each. */
  const vaults = { a: uniqueName('mtls-va'), b: uniqueName('mtls-vb'), c: uniqueName('mtls-vc') };
  const tokens = { a: '', b: '', c: '' };

  const pem = (name: string) => readFileSync(join(dir, `${name}.pem`));
  const sha256 = (name: string) => createHash('sha256').update(new X509Certificate(pem(name)).raw).digest('hex');
  const via = (gateway: TlsGateway, client: Omit<TlsClient, 'ca'>, query: string, variables: Record<string, unknown> = {}) =>
    tlsGraphql(gateway.port, dir, { ca: 'ca.pem', ...client }, query, variables);
  const code = <T>(answer: { body: { errors?: Array<{ extensions?: { code?: string } }>; data?: T } }) => answer.body.errors?.[0]?.extensions?.code;
  const refusedAtHandshake = async (promise: Promise<unknown>) => {
    const error = (await promise.then(
      (answer) => Promise.reject(new Error(`expected a refused handshake, got ${JSON.stringify(answer)}`)),
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    expect(error.code).toMatch(HANDSHAKE_REFUSED);
  };

  beforeAll(async () => {
    await devCertificates(dir, [certOnly, certAndToken]);
    const tls = {
      KEYBRIDGE_TLS_CERT_FILE: join(dir, 'server.pem'),
      KEYBRIDGE_TLS_KEY_FILE: join(dir, 'server.key'),
      KEYBRIDGE_TLS_CLIENT_CA_FILE: join(dir, 'ca.pem'),
      KEYBRIDGE_TLS_CRL_FILE: join(dir, 'crl.pem'),
    };
    required = new TlsGateway(await freePort(), { ...tls, KEYBRIDGE_TLS_CLIENT_AUTH: 'require' });
    optional = new TlsGateway(await freePort(), { ...tls, KEYBRIDGE_TLS_CLIENT_AUTH: 'optional' });
    starting = Promise.all([required.start(), optional.start()]);
    // Settled in afterAll too, so a failed setup never leaves a gateway starting on a deleted directory.
    starting.catch(() => undefined);

    const root = admin();
    rootToken = root.token ?? '';
    for (const [key, vault] of Object.entries(vaults)) {
      await root.data('mutation($n: String!) { createVault(name: $n, pool: "pool-a") { name } }', { n: vault });
      const name = key === 'a' ? certOnly : key === 'c' ? certAndToken : uniqueName('mtls-b');
      tokens[key as keyof typeof tokens] = (await principalWith(vault, ['get', 'list'], name)).token ?? '';
    }
    // A by fingerprint as openssl and Node print it (colons, uppercase); C by subject and fingerprint.
    await root.data(BIND, { p: certOnly, h: new X509Certificate(pem(certOnly)).fingerprint256, m: 'certificate' });
    await root.data(BIND, { p: certAndToken, s: new X509Certificate(pem(certAndToken)).subject, h: sha256(certAndToken), m: 'certificateAndToken' });
    await starting;
  }, 180_000);

  afterAll(async () => {
    await starting?.catch(() => undefined);
    await Promise.all([required?.stop(), optional?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the TLS layer (client auth require)', () => {
    it('serves a client with a certificate of the configured CA and a token', async () => {
      const answer = await via(required, { certificate: 'client', token: rootToken }, '{ pools { name } }');
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ pools: expect.arrayContaining([{ name: 'pool-a' }]) });
    });

    it('works with curl --cert/--key/--cacert, and curl without a certificate is refused', async () => {
      const url = `https://127.0.0.1:${required.port}/graphql`;
      const common = ['-sS', '--max-time', '10', '--cacert', join(dir, 'ca.pem'), url, '-H', `authorization: Bearer ${rootToken}`];
      const gql = ['-H', 'content-type: application/json', '-d', '{"query":"{ me { name } }"}'];
      const { stdout } = await execFileAsync('curl', [...common, ...gql, '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key')]);
      expect(JSON.parse(stdout)).toEqual({ data: { me: { name: 'admin' } } });
      await expect(execFileAsync('curl', [...common, ...gql])).rejects.toMatchObject({ code: expect.any(Number) });
    });

    it('keeps the health endpoints on the same server', async () => {
      const { stdout } = await execFileAsync('curl', [
        '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', '--cacert', join(dir, 'ca.pem'),
        '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key'), `https://127.0.0.1:${required.port}/health/live`,
      ]);
      expect(stdout).toBe('200');
    });

    it.each([
      ['no client certificate', undefined],
      ['a certificate of another CA', 'wrong-ca-client'],
      ['an expired certificate', 'expired-client'],
      ['a revoked certificate (CRL)', 'revoked-client'],
    ])('refuses %s in the handshake', async (_name, certificate) => {
      await refusedAtHandshake(via(required, { certificate, token: rootToken }, '{ me { name } }'));
    });

    // Node verifies the chain itself once the handshake is through and then drops the connection: no TLS alert.
    it('refuses the revoked certificate with openssl s_client too', async () => {
      const { stdout, stderr } = await execFileAsync('bash', [
        '-c',
        `printf 'GET /health/live HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:${required.port} -CAfile "$1/ca.pem" -cert "$1/revoked-client.pem" -key "$1/revoked-client.key" -quiet 2>&1 || true`,
        '_',
        dir,
      ]);
      expect(`${stdout}${stderr}`).toMatch(/unexpected eof|alert|errno/i);
      expect(stdout).not.toMatch(/HTTP\/1\.[01] 200/);
    });
  });

  describe('client auth optional', () => {
    it('lets a client without a certificate in (the token decides)', async () => {
      expect(code(await via(optional, { token: rootToken }, '{ me { name } }'))).toBeUndefined();
    });

    it.each([
      ['an expired certificate', 'expired-client', /CERT_HAS_EXPIRED/],
      ['a revoked certificate', 'revoked-client', /CERT_REVOKED/],
      ['a certificate of another CA', 'wrong-ca-client', /not accepted/],
    ])('answers %s with UNAUTHENTICATED, even with a valid token', async (_name, certificate, reason) => {
      const answer = await via(optional, { certificate, token: rootToken }, '{ me { name } }');
      expect(code(answer)).toBe('UNAUTHENTICATED');
      expect(answer.body.errors?.[0].message).toMatch(reason);
      expect(answer.body.errors?.[0].message).not.toContain(rootToken);
    });
  });

  describe('principals bound to certificates', () => {
    it('authenticates a certificate-mode principal by its certificate alone, and it can use its own vault', async () => {
      expect((await via(required, { certificate: certOnly }, '{ me { name } }')).body.data).toEqual({ me: { name: certOnly } });
      const answer = await via(required, { certificate: certOnly }, KEYS, { v: vaults.a });
      expect(answer.body).toEqual({ data: { keys: { edges: [] } } });
    });

    it('does not let the certificate-bound principal use another principal\'s grants', async () => {
      expect(code(await via(required, { certificate: certOnly }, KEYS, { v: vaults.b }))).toBe('VAULT_NOT_FOUND');
      // B's token (or the admin's) with A's certificate is neither A nor B.
      for (const token of [tokens.b, rootToken]) {
        const answer = await via(required, { certificate: certOnly, token }, KEYS, { v: vaults.b });
        expect(code(answer)).toBe('UNAUTHENTICATED');
        expect(answer.body.errors?.[0].message).toMatch(/bound to another principal/);
      }
      // B itself, with an unbound certificate, still works.
      expect(code(await via(required, { certificate: 'client', token: tokens.b }, KEYS, { v: vaults.b }))).toBeUndefined();
    });

    it('refuses a bound principal\'s token without its certificate (plain HTTP) or with another one', async () => {
      const plain = await new GatewayClient(tokens.a).request('{ me { name } }');
      expect(plain.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(plain.errors?.[0].message).toMatch(/bound to a client certificate/);
      expect(plain.errors?.[0].message).not.toContain(tokens.a);
      expect(code(await via(required, { certificate: 'client', token: tokens.a }, '{ me { name } }'))).toBe('UNAUTHENTICATED');
      expect((await via(required, { certificate: certOnly, token: tokens.a }, '{ me { name } }')).body.data).toEqual({ me: { name: certOnly } });
    });

    it('needs both the certificate and the token for a certificateAndToken principal', async () => {
      expect(await new GatewayClient(tokens.c).errorCode(KEYS, { v: vaults.c })).toBe('UNAUTHENTICATED');
      const certAlone = await via(required, { certificate: certAndToken }, KEYS, { v: vaults.c });
      expect(code(certAlone)).toBe('UNAUTHENTICATED');
      expect(certAlone.body.errors?.[0].message).toMatch(/needs its API token or JWT/);
      expect(code(await via(required, { certificate: 'client', token: tokens.c }, KEYS, { v: vaults.c }))).toBe('UNAUTHENTICATED');
      expect(code(await via(required, { certificate: certOnly, token: tokens.c }, KEYS, { v: vaults.c }))).toBe('UNAUTHENTICATED');
      expect((await via(required, { certificate: certAndToken, token: tokens.c }, KEYS, { v: vaults.c })).body).toEqual({
        data: { keys: { edges: [] } },
      });
      expect(code(await via(required, { certificate: certAndToken, token: tokens.c }, KEYS, { v: vaults.a }))).toBe('VAULT_NOT_FOUND');
    });
  });

  describe('bindPrincipalCertificate / unbindPrincipalCertificate', () => {
    it('stores the binding normalised and audits it', async () => {
      const name = uniqueName('mtls-bind');
      await principalWith(vaults.b, [], name);
      const hex = 'AB:'.repeat(31) + 'CD';
      const { bindPrincipalCertificate } = await admin().data<{ bindPrincipalCertificate: Record<string, string | null> }>(BIND, {
        p: name,
        s: `CN=${name}`,
        h: hex,
        m: 'certificateAndToken',
      });
      expect(bindPrincipalCertificate).toEqual({ principalName: name, subject: `CN=${name}`, sha256: `${'ab'.repeat(31)}cd`, mode: 'certificateAndToken' });
      expect(await admin().data('mutation($p: String!) { unbindPrincipalCertificate(principal: $p) }', { p: name })).toEqual({ unbindPrincipalCertificate: true });
      expect(await admin().data('mutation($p: String!) { unbindPrincipalCertificate(principal: $p) }', { p: name })).toEqual({ unbindPrincipalCertificate: false });
      expect(await admin().errorCode(BIND, { p: name, h: 'nope', m: 'certificate' })).toBe('INVALID_ARGUMENT');
      const db = await adminDatabase();
      try {
        const { rows } = await db.query(
          `SELECT operation, outcome, error_code FROM ledger_entries WHERE operation LIKE '%PrincipalCertificate' AND details->>'principal' = $1 ORDER BY seq`,
          [name],
        );
        expect(rows).toEqual([
          { operation: 'bindPrincipalCertificate', outcome: 'success', error_code: null },
          { operation: 'unbindPrincipalCertificate', outcome: 'success', error_code: null },
          { operation: 'unbindPrincipalCertificate', outcome: 'success', error_code: null },
          { operation: 'bindPrincipalCertificate', outcome: 'failed', error_code: 'INVALID_ARGUMENT' },
        ]);
      } finally {
        await db.end();
      }
    });

    it.each([
      ['a fingerprint that is not SHA-256 hex', { h: 'abc', m: 'certificate' }, 'INVALID_ARGUMENT'],
      ['a subject not in Node\'s format', { s: '/CN=x/O=y', m: 'certificate' }, 'INVALID_ARGUMENT'],
      ['an unknown mode', { h: 'ab'.repeat(32), m: 'token' }, 'INVALID_ARGUMENT'],
      ['neither subject nor fingerprint', { m: 'certificate' }, 'INVALID_ARGUMENT'],
    ])('refuses %s with %s', async (_name, variables, expected) => {
      expect(await admin().errorCode(BIND, { p: certOnly, ...variables })).toBe(expected);
    });

    it('refuses an unknown principal, a non-admin, and a certificate another principal is bound to', async () => {
      expect(await admin().errorCode(BIND, { p: uniqueName('nobody'), h: 'ab'.repeat(32), m: 'certificate' })).toBe('PRINCIPAL_NOT_FOUND');
      expect(await new GatewayClient(tokens.b).errorCode(BIND, { p: certOnly, h: 'ab'.repeat(32), m: 'certificate' })).toBe('FORBIDDEN');
      const name = uniqueName('mtls-dup');
      await principalWith(vaults.b, [], name);
      expect(await admin().errorCode(BIND, { p: name, h: sha256(certOnly), m: 'certificate' })).toBe('CERTIFICATE_ALREADY_BOUND');
      expect(await admin().errorCode(BIND, { p: name, s: new X509Certificate(pem(certAndToken)).subject, m: 'certificate' })).toBe('CERTIFICATE_ALREADY_BOUND');
    });
  });
});
