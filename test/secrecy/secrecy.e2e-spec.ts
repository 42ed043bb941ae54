import { constants, createCipheriv, createHash, generateKeyPairSync, KeyObject, publicEncrypt, randomBytes, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { admin, adminDatabase, adminToken, requireEnv, vaultWithOwner } from '@keybridge/testing';
import { createTransportKey, importKey, TransportKeyResult } from '../byok/byok-fixtures';
import { filesIn, postgresDump, redisLogicalDump, redisRdb } from './dumps';
import { httpReady, PrivateProcess, telemetryEnv } from './private-processes';
import { describeHits, Hit, needlesOf, search, Secret, sizes } from './secret-search';

/**
 * Secrecy scan (issue #7): a scenario with key material the test made (BYOK-imported AES-256, RSA-2048 and EC P-256
 * keys, data keys generated and released once, a wrapped value, encrypted plaintexts) through a private gateway that
 * exports every span to stdout; then a Postgres dump, a Redis snapshot and a Redis value dump, every log of the stack
 * and the private processes' output (logs and spans) are searched for every secret in raw, hex, base64 and base64url
 * form. Zero hits are required; positive controls prove that each source is read and each encoding is found.
 */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const WRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { wrapKey(key: $k, algorithm: $a, value: $v) { value } }';
const UNWRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { unwrapKey(key: $k, algorithm: $a, value: $v) { value } }';
const ENCRYPT = 'mutation($k: KeyRefInput!, $a: String!, $p: String!, $aad: String) { encrypt(key: $k, algorithm: $a, plaintext: $p, aad: $aad) { value iv tag } }';
const DECRYPT =
  'mutation($k: KeyRefInput!, $a: String!, $c: String!, $iv: String, $aad: String, $t: String) { decrypt(key: $k, algorithm: $a, ciphertext: $c, iv: $iv, aad: $aad, tag: $t) { value } }';
const SIGN = 'mutation($k: KeyRefInput!, $a: String!, $d: String!) { sign(key: $k, algorithm: $a, digest: $d) { value } }';
const VERIFY = 'mutation($k: KeyRefInput!, $a: String!, $d: String!, $s: String!) { verify(key: $k, algorithm: $a, digest: $d, signature: $s) { valid } }';
const GENERATE = 'mutation($i: GenerateDataKeyInput!) { generateDataKey(input: $i) { plaintext record { id } } }';
const RELEASE = 'mutation($id: ID!) { releaseDataKey(id: $id) { plaintext } }';

const b64url = (b: Buffer): string => b.toString('base64url');
/** Compares secrets without letting a failing expectation print them. */
const same = (a: string | Buffer, b: Buffer): boolean => Buffer.from(typeof a === 'string' ? Buffer.from(a, 'base64url') : a).equals(b);

/** RSA-OAEP(SHA-1) of an ephemeral AES-256 key || AES-KWP of the target (the raw BYOK layout). */
function rawBlob(transport: TransportKeyResult, target: Buffer, ephemeral: Buffer): string {
  const rsaPart = publicEncrypt({ key: transport.publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ephemeral);
  const kwp = createCipheriv('id-aes256-wrap-pad', ephemeral, Buffer.from('A65959A6', 'hex'));
  return Buffer.concat([rsaPart, kwp.update(target), kwp.final()]).toString('base64');
}

function privateParts(key: KeyObject, prefix: string, fields: string[]): Secret[] {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  return [
    { label: `${prefix}.pkcs8`, bytes: key.export({ format: 'der', type: 'pkcs8' }) },
    ...fields.map((f) => ({ label: `${prefix}.${f}`, bytes: Buffer.from(jwk[f], 'base64url') })),
  ];
}

/** Controls: values the test puts where each source must show them, in the encoding named. */
interface Controls {
  pgHex: Buffer; // a tag value, hex
  pgBase64: Buffer; // a tag value, base64
  pgBase64url: Buffer; // an escrow label value, base64url
  span: Buffer; // the User-Agent of a request (user_agent.original of the HTTP span), HEX
  redis: Buffer; // a Redis key's value, base64
  pgLog: Buffer; // a failing SQL statement in the Postgres log, hex
}

describe('secrecy scan: no key material in dumps, logs or spans', () => {
  const work = mkdtempSync(join(tmpdir(), 'kb-secrecy-'));
  const secrets: Secret[] = [];
  // A base64 control must hold '+' or '/', a base64url one '-' or '_': otherwise the two spellings are the same text
  // and the hit is counted under the other form (that made this control fail about one run in three).
  const spelled = (pattern: RegExp, encoding: 'base64' | 'base64url'): Buffer => {
    for (;;) {
      const bytes = randomBytes(24);
      if (pattern.test(bytes.toString(encoding))) return bytes;
    }
  };
  const controls: Controls = {
    pgHex: randomBytes(24),
    pgBase64: spelled(/[+/]/, 'base64'),
    pgBase64url: spelled(/[-_]/, 'base64url'),
    span: randomBytes(24),
    redis: spelled(/[+/]/, 'base64'),
    pgLog: randomBytes(24),
  };
  const controlKey = `keybridge-secrecy-control:${randomBytes(4).toString('hex')}`;
  const sources: Record<string, string[]> = {};
  const hits: Record<string, Hit[]> = {};
  const controlHits: Record<string, Hit[]> = {};
  const commands: string[] = [];
  let gateway: PrivateProcess;
  let worker: PrivateProcess;
  const stackUrl = process.env.KEYBRIDGE_GATEWAY_URL;
  const dataDir = requireEnv('KEYBRIDGE_DATA_DIR');

  beforeAll(async () => {
    const env = telemetryEnv(work);
    const port = await new Promise<number>((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const server = (require('node:net') as typeof import('node:net')).createServer();
      server.once('error', reject).listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    gateway = new PrivateProcess('gateway', join(work, 'private-gateway.out'), { ...env, HOST: '127.0.0.1', PORT: String(port) }, () => httpReady(`${url}/health/ready`));
    worker = new PrivateProcess('worker', join(work, 'private-worker.out'), env, async (log) => log.includes('consuming queues'));
    await Promise.all([gateway.start(), worker.start()]);
    // Every helper of libs/testing builds its client from KEYBRIDGE_GATEWAY_URL: the whole scenario goes through the
    // private gateway, whose spans are on its stdout.
    process.env.KEYBRIDGE_GATEWAY_URL = url;

    await scenario();
    // Spans of the last requests, the worker's checkpoint over them (every 4 s) and its spans.
    await sleep(6000);
    await Promise.all([gateway.stop(), worker.stop()]);

    const db = await adminDatabase();
    try {
      // A failing statement is logged with its text (log_min_error_statement = error): the Postgres log control.
      await db.query(`SELECT 'ctl-${controls.pgLog.toString('hex')}'::int`).catch(() => undefined);
    } finally {
      await db.end();
    }
    const redis = new Redis(requireEnv('REDIS_URL'));
    await redis.set(controlKey, controls.redis.toString('base64'));
    try {
      const pgFile = join(work, 'postgres.sql');
      commands.push(postgresDump(requireEnv('DATABASE_MIGRATION_URL'), pgFile));
      const rdbFile = join(work, 'redis.rdb');
      commands.push(await redisRdb(requireEnv('REDIS_URL'), rdbFile));
      const valuesFile = join(work, 'redis-values.bin');
      const { keys } = await redisLogicalDump(requireEnv('REDIS_URL'), valuesFile);
      commands.push(`SCAN + TYPE + GET/HGETALL/LRANGE/SMEMBERS/ZRANGE/XRANGE of ${keys} keys -> ${valuesFile}`);
      sources['postgres dump'] = [pgFile];
      sources['redis rdb snapshot'] = [rdbFile];
      sources['redis values'] = [valuesFile];
    } finally {
      await redis.del(controlKey);
      redis.disconnect();
    }
    await sleep(500); // the Postgres logger writes asynchronously
    sources['stack logs'] = [...filesIn(join(dataDir, 'run'), join(dataDir, 'pg', 'log'), join(dataDir, 'redis')).filter((f) => /\.log$/.test(f))];
    sources['private gateway output (logs and spans)'] = [gateway.logFile];
    sources['private worker output (logs and spans)'] = [worker.logFile];

    const secretNeedles = secrets.flatMap(needlesOf);
    const controlNeedles = Object.entries(controls).flatMap(([label, bytes]) => needlesOf({ label: `control.${label}`, bytes: bytes as Buffer }));
    for (const [source, files] of Object.entries(sources)) {
      hits[source] = search(files, secretNeedles);
      controlHits[source] = search(files, controlNeedles);
    }
    console.log(
      `secrecy scan: ${secrets.length} secrets, ${secretNeedles.length} needles\n${commands.join('\n')}\nfiles:\n${sizes(Object.values(sources).flat())}`,
    );
  }, 300_000);

  afterAll(async () => {
    process.env.KEYBRIDGE_GATEWAY_URL = stackUrl;
    await Promise.all([gateway?.stop(), worker?.stop()]);
    if (process.env.KEYBRIDGE_KEEP_SECRECY_FILES !== '1') rmSync(work, { recursive: true, force: true });
    else console.log(`secrecy scan: files kept in ${work}`);
  });

  /** Everything the service is given or hands out once; each secret is recorded before it is sent. */
  async function scenario(): Promise<void> {
    const { vault, owner } = await vaultWithOwner('pool-a', 'secrecy');
    secrets.push({ label: 'api token (admin)', bytes: Buffer.from(adminToken()), text: true });
    secrets.push({ label: 'api token (vault owner)', bytes: Buffer.from(owner.token ?? ''), text: true });
    const tk = await createTransportKey(owner, vault, { maxUses: 3 });

    // AES-256, imported.
    const aes = randomBytes(32);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    secrets.push({ label: 'aes256', bytes: aes });
    secrets.push(...privateParts(rsa.privateKey, 'rsa2048', ['d', 'p', 'q', 'dp', 'dq', 'qi']));
    secrets.push(...privateParts(ec.privateKey, 'p256', ['d']));
    const ephemerals = [randomBytes(32), randomBytes(32), randomBytes(32)];
    ephemerals.forEach((e, i) => secrets.push({ label: `byok ephemeral AES key #${i + 1}`, bytes: e }));

    await importKey(owner, {
      vault,
      name: 'aes',
      kty: 'oct',
      size: 256,
      format: 'raw',
      blob: rawBlob(tk, aes, ephemerals[0]),
      transportKid: tk.kid,
      oaepHash: 'SHA-1',
      tags: [
        { name: 'control-hex', value: controls.pgHex.toString('hex') },
        { name: 'control-base64', value: controls.pgBase64.toString('base64') },
      ],
    });
    const rsaDer = rsa.privateKey.export({ format: 'der', type: 'pkcs8' });
    await importKey(owner, { vault, name: 'rsa', kty: 'RSA', size: 2048, format: 'raw', blob: rawBlob(tk, rsaDer, ephemerals[1]), transportKid: tk.kid, oaepHash: 'SHA-1' });
    const ecDer = ec.privateKey.export({ format: 'der', type: 'pkcs8' });
    const ecPublic = ec.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await importKey(owner, {
      vault,
      name: 'ec',
      kty: 'EC',
      curve: 'P-256',
      format: 'raw',
      blob: rawBlob(tk, ecDer, ephemerals[2]),
      transportKid: tk.kid,
      oaepHash: 'SHA-1',
      publicKey: ecPublic,
    });

    // AES: wrap/unwrap a value, encrypt/decrypt a plaintext. The wrap must equal what node makes with our key.
    const wrapped = randomBytes(32);
    secrets.push({ label: 'value passed to wrapKey (AES-KWP)', bytes: wrapped });
    const { wrapKey } = await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault, name: 'aes' }, a: 'CKM_AES_KEY_WRAP_PAD', v: b64url(wrapped) });
    const expectedWrap = createCipheriv('id-aes256-wrap-pad', aes, Buffer.from('A65959A6', 'hex'));
    expect(same(wrapKey.value, Buffer.concat([expectedWrap.update(wrapped), expectedWrap.final()]))).toBe(true);
    const { unwrapKey } = await owner.data<{ unwrapKey: { value: string } }>(UNWRAP, { k: { vault, name: 'aes' }, a: 'CKM_AES_KEY_WRAP_PAD', v: wrapKey.value });
    expect(same(unwrapKey.value, wrapped)).toBe(true);

    const plaintext = randomBytes(48);
    secrets.push({ label: 'plaintext passed to encrypt (A256GCM)', bytes: plaintext });
    const aad = b64url(randomBytes(16));
    const { encrypt } = await owner.data<{ encrypt: { value: string; iv: string; tag: string } }>(ENCRYPT, { k: { vault, name: 'aes' }, a: 'A256GCM', p: b64url(plaintext), aad });
    const { decrypt } = await owner.data<{ decrypt: { value: string } }>(DECRYPT, { k: { vault, name: 'aes' }, a: 'A256GCM', c: encrypt.value, iv: encrypt.iv, aad, t: encrypt.tag });
    expect(same(decrypt.value, plaintext)).toBe(true);

    // RSA: OAEP encrypt (in the gateway) / decrypt (in the HSM), OAEP wrap/unwrap, RS256 sign/verify.
    const rsaPlaintext = randomBytes(64);
    secrets.push({ label: 'plaintext passed to encrypt (RSA_OAEP)', bytes: rsaPlaintext });
    const rsaEnc = await owner.data<{ encrypt: { value: string } }>(ENCRYPT, { k: { vault, name: 'rsa' }, a: 'RSA_OAEP', p: b64url(rsaPlaintext) });
    const rsaDec = await owner.data<{ decrypt: { value: string } }>(DECRYPT, { k: { vault, name: 'rsa' }, a: 'RSA_OAEP', c: rsaEnc.encrypt.value });
    expect(same(rsaDec.decrypt.value, rsaPlaintext)).toBe(true);
    const rsaWrapped = randomBytes(32);
    secrets.push({ label: 'value passed to wrapKey (RSA_OAEP)', bytes: rsaWrapped });
    const rsaWrap = await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault, name: 'rsa' }, a: 'RSA_OAEP', v: b64url(rsaWrapped) });
    const rsaUnwrap = await owner.data<{ unwrapKey: { value: string } }>(UNWRAP, { k: { vault, name: 'rsa' }, a: 'RSA_OAEP', v: rsaWrap.wrapKey.value });
    expect(same(rsaUnwrap.unwrapKey.value, rsaWrapped)).toBe(true);

    const message = randomBytes(64);
    const digest = createHash('sha256').update(message).digest();
    for (const [name, alg, publicKey, encoding] of [
      ['rsa', 'RS256', rsa.publicKey, undefined],
      ['ec', 'ES256', ec.publicKey, 'ieee-p1363'],
    ] as const) {
      const { sign } = await owner.data<{ sign: { value: string } }>(SIGN, { k: { vault, name }, a: alg, d: b64url(digest) });
      // The imported object is the test's key: node verifies the HSM's signature with the original public key.
      const key = encoding ? { key: publicKey, dsaEncoding: encoding } : publicKey;
      expect(nodeVerify('sha256', message, key, Buffer.from(sign.value, 'base64url'))).toBe(true);
      const { verify } = await owner.data<{ verify: { valid: boolean } }>(VERIFY, { k: { vault, name }, a: alg, d: b64url(digest), s: sign.value });
      expect(verify.valid).toBe(true);
    }

    // Data keys made in the HSM: the plaintext is known from generateDataKey, then released exactly once.
    for (let i = 1; i <= 4; i++) {
      const { generateDataKey } = await owner.data<{ generateDataKey: { plaintext: string; record: { id: string } } }>(GENERATE, {
        i: { vault, key: 'aes', bits: 256, owner: 'secrecy', labels: i === 1 ? [{ name: 'control-base64url', value: b64url(controls.pgBase64url) }] : [] },
      });
      const dek = Buffer.from(generateDataKey.plaintext, 'base64url');
      expect(dek.length).toBe(32);
      secrets.push({ label: `data key #${i}`, bytes: dek });
      const { releaseDataKey } = await owner.data<{ releaseDataKey: { plaintext: string } }>(RELEASE, { id: generateDataKey.record.id });
      expect(same(releaseDataKey.plaintext, dek)).toBe(true);
    }

    // A webhook signing secret: kept sealed under an HSM key, never in Postgres (or anywhere else) in plaintext.
    const webhookSecret = randomBytes(36).toString('base64url');
    secrets.push({ label: 'webhook signing secret', bytes: Buffer.from(webhookSecret), text: true });
    await admin().data('mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }', {
      i: { name: `secrecy-${randomBytes(3).toString('hex')}`, url: 'https://127.0.0.1:9/hook', secret: webhookSecret, eventKinds: ['KeyRotated'] },
    });

    // Span control: the HTTP server span records the User-Agent (user_agent.original). A literal in the GraphQL
    // document would not do: the graphql instrumentation prints literals as "*" in graphql.source.
    const control = await fetch(owner.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}`, 'user-agent': `ctl-${controls.span.toString('hex').toUpperCase()}` },
      body: JSON.stringify({ query: '{ me { name } }' }),
    });
    expect(control.status).toBe(200);
  }

  it('the scenario ran through the private gateway, and both private processes exported spans', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(20);
    const gatewayOut = gateway.log();
    // Console-exported spans of the HSM calls the scenario made (libs/hsm: one span per call) and of GraphQL.
    for (const span of ["'hsm.unwrap", "'hsm.sign", "'hsm.decrypt", 'graphql.source']) expect(gatewayOut).toContain(span);
    expect(gatewayOut).toContain("'hsm.operation'");
    expect(worker.log()).toMatch(/traceId: '[0-9a-f]{32}'/);
  });

  // A search that cannot find anything proves nothing: each source must show the control the test put there.
  it.each([
    ['postgres dump', 'control.pgHex', 'hex'],
    ['postgres dump', 'control.pgBase64', 'base64'],
    ['postgres dump', 'control.pgBase64url', 'base64url'],
    ['private gateway output (logs and spans)', 'control.span', 'HEX'],
    ['redis rdb snapshot', 'control.redis', 'base64'],
    ['redis values', 'control.redis', 'base64'],
    ['stack logs', 'control.pgLog', 'hex'],
  ])('positive control: %s shows %s as %s', (source, label, form) => {
    expect(controlHits[source].filter((h) => h.label === label && h.form === form).length).toBeGreaterThan(0);
  });

  it.each([
    'postgres dump',
    'redis rdb snapshot',
    'redis values',
    'stack logs',
    'private gateway output (logs and spans)',
    'private worker output (logs and spans)',
  ])('no secret in the %s', (source) => {
    expect(sources[source]?.length).toBeGreaterThan(0);
    // Locations only (file, byte offset, which secret in which encoding), never the value.
    expect(describeHits(hits[source])).toBe('');
  });
});
