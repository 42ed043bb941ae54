import { createPublicKey, generateKeyPairSync, KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { byokFile, wrapForImport } from '@keybridge/byok/formats';
import { adminDatabase, GatewayClient, principalWith, vaultWithOwner } from '@keybridge/testing';
import { Client } from 'pg';
import { createTransportKey, IMPORT, importKey, objectsLabelled, pool, TransportKeyResult } from './byok-fixtures';

const pkcs8 = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'pkcs8' });
const pem = (key: KeyObject): string => key.export({ format: 'pem', type: 'spki' }).toString();
const flip = (data: Buffer, at: number): Buffer => {
  const copy = Buffer.from(data);
  copy[at] ^= 0x01;
  return copy;
};

interface Env {
  vault: string;
  tk: TransportKeyResult;
  key: KeyObject;
  other: TransportKeyResult;
  expired: TransportKeyResult;
  used: TransportKeyResult;
  revoked: TransportKeyResult;
}

type Case = [string, (env: Env) => Record<string, unknown>, string];

const raw = (env: Env, blob: Buffer, extra: Record<string, unknown> = {}) => ({
  kty: 'oct',
  size: 256,
  format: 'raw',
  blob: blob.toString('base64url'),
  transportKid: env.tk.kid,
  oaepHash: 'SHA-1',
  ...extra,
});
const aesBlob = (env: Env, hash: 'SHA-1' | 'SHA-256' = 'SHA-1', material = randomBytes(32)) => wrapForImport(env.key, material, hash);
const byok = (env: Env, change: (file: Record<string, unknown>) => void) => {
  const file = JSON.parse(byokFile(env.tk.kid, aesBlob(env), 'test')) as Record<string, unknown>;
  change(file);
  return { kty: 'oct', size: 256, format: 'byok', blob: JSON.stringify(file) };
};
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

// Every refusal is a specific code, creates nothing in the HSM or the database, spends no transport key use, and
// is in the ledger.
const CASES: Case[] = [
  ['an unknown transport kid', (e) => raw(e, aesBlob(e), { transportKid: `/vaults/${e.vault}/transport-keys/${randomUUID()}` }), 'TRANSPORT_KEY_NOT_FOUND'],
  ['a kid that is not a transport kid', (e) => raw(e, aesBlob(e), { transportKid: 'kek-1' }), 'TRANSPORT_KEY_NOT_FOUND'],
  ['an expired transport key', (e) => raw(e, wrapForImport(createPublicKey(e.expired.publicKeyPem), randomBytes(32), 'SHA-1'), { transportKid: e.expired.kid }), 'TRANSPORT_KEY_EXPIRED'],
  ['an already-used transport key', (e) => raw(e, wrapForImport(createPublicKey(e.used.publicKeyPem), randomBytes(32), 'SHA-1'), { transportKid: e.used.kid }), 'TRANSPORT_KEY_USED'],
  ['a revoked transport key', (e) => raw(e, wrapForImport(createPublicKey(e.revoked.publicKeyPem), randomBytes(32), 'SHA-1'), { transportKid: e.revoked.kid }), 'TRANSPORT_KEY_REVOKED'],
  ['the transport key of another vault', (e) => raw(e, wrapForImport(createPublicKey(e.other.publicKeyPem), randomBytes(32), 'SHA-1'), { transportKid: e.other.kid }), 'TRANSPORT_KEY_WRONG_VAULT'],
  ['a truncated blob', (e) => raw(e, aesBlob(e).subarray(0, 256 + 37)), 'INVALID_BLOB'],
  ['a blob one byte long', (e) => raw(e, Buffer.from([0x42])), 'INVALID_BLOB'],
  ['an OAEP part one byte too long', (e) => { const b = aesBlob(e); return raw(e, Buffer.concat([b.subarray(0, 256), Buffer.from([0]), b.subarray(256)])); }, 'INVALID_BLOB'],
  ['a SHA-256 blob declared SHA-1', (e) => raw(e, aesBlob(e, 'SHA-256')), 'BLOB_INTEGRITY_FAILED'],
  ['a SHA-256 blob on a pool that cannot unwrap OAEP-SHA-256', (e) => raw(e, aesBlob(e, 'SHA-256'), { oaepHash: 'SHA-256' }), 'UNSUPPORTED_BY_HSM'],
  ['a tampered AES-KWP part', (e) => raw(e, flip(aesBlob(e), 256 + 3)), 'BLOB_INTEGRITY_FAILED'],
  ['a tampered OAEP part', (e) => raw(e, flip(aesBlob(e), 7)), 'BLOB_INTEGRITY_FAILED'],
  ['an AES-128 key declared AES-256', (e) => raw(e, aesBlob(e, 'SHA-1', randomBytes(16))), 'KEY_MATERIAL_MISMATCH'],
  ['an EC key declared RSA', (e) => raw(e, wrapForImport(e.key, pkcs8(p256.privateKey), 'SHA-1'), { kty: 'RSA', size: 2048 }), 'KEY_MATERIAL_MISMATCH'],
  ['an RSA-3072 key declared RSA-2048', (e) => raw(e, wrapForImport(e.key, pkcs8(generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey), 'SHA-1'), { kty: 'RSA', size: 2048 }), 'KEY_MATERIAL_MISMATCH'],
  ['an RSA-1024 key', (e) => raw(e, wrapForImport(e.key, pkcs8(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey), 'SHA-1'), { kty: 'RSA', size: 2048 }), 'UNSUPPORTED_KEY_MATERIAL'],
  ['a declared RSA size of 1024', (e) => raw(e, aesBlob(e), { kty: 'RSA', size: 1024 }), 'INVALID_ARGUMENT'],
  ['a P-224 key (unsupported curve)', (e) => raw(e, wrapForImport(e.key, pkcs8(generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey), 'SHA-1'), { kty: 'EC', size: null, curve: 'P-256', publicKey: pem(p256.publicKey) }), 'UNSUPPORTED_KEY_MATERIAL'],
  ['a declared curve P-192', (e) => raw(e, aesBlob(e), { kty: 'EC', size: null, curve: 'P-192' }), 'INVALID_ARGUMENT'],
  ['an EC import without publicKey', (e) => raw(e, wrapForImport(e.key, pkcs8(p256.privateKey), 'SHA-1'), { kty: 'EC', size: null, curve: 'P-256' }), 'INVALID_ARGUMENT'],
  ['an EC import with another public key', (e) => raw(e, wrapForImport(e.key, pkcs8(p256.privateKey), 'SHA-1'), { kty: 'EC', size: null, curve: 'P-256', publicKey: pem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey) }), 'PUBLIC_KEY_MISMATCH'],
  ['a private key sent as publicKey', (e) => raw(e, wrapForImport(e.key, pkcs8(p256.privateKey), 'SHA-1'), { kty: 'EC', size: null, curve: 'P-256', publicKey: p256.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }), 'INVALID_ARGUMENT'],
  ['malformed JSON', () => ({ kty: 'oct', format: 'byok', blob: '{"schema_version": "1.0.0", "header": ' }), 'INVALID_BLOB'],
  ['schema_version 2.0.0', (e) => byok(e, (f) => (f.schema_version = '2.0.0')), 'UNSUPPORTED_BLOB_FORMAT'],
  ['enc CKM_RSA_PKCS_OAEP', (e) => byok(e, (f) => ((f.header as Record<string, string>).enc = 'CKM_RSA_PKCS_OAEP')), 'UNSUPPORTED_BLOB_FORMAT'],
  ['alg RSA-OAEP', (e) => byok(e, (f) => ((f.header as Record<string, string>).alg = 'RSA-OAEP')), 'UNSUPPORTED_BLOB_FORMAT'],
  ['a ciphertext that is not base64url', (e) => byok(e, (f) => (f.ciphertext = `${String(f.ciphertext).slice(0, 40)}+/==`)), 'INVALID_BLOB'],
  ['a raw blob that is not base64', (e) => raw(e, aesBlob(e), { blob: '!!not base64!!' }), 'INVALID_BLOB'],
  ['a blob of 65,537 characters', (e) => raw(e, aesBlob(e), { blob: 'A'.repeat(65_537) }), 'BLOB_TOO_LARGE'],
  ['a blob of 512 KiB (over the blob limit, under the body limit)', (e) => raw(e, aesBlob(e), { blob: 'A'.repeat(512 * 1024) }), 'BLOB_TOO_LARGE'],
  ['format pkcs12', (e) => raw(e, aesBlob(e), { format: 'pkcs12' }), 'INVALID_ARGUMENT'],
  ['a raw blob without oaepHash', (e) => raw(e, aesBlob(e), { oaepHash: null }), 'INVALID_ARGUMENT'],
];

describe('hostile BYOK imports on pool-a (SoftHSM)', () => {
  let owner: GatewayClient;
  let db: Client;
  const env = {} as Env;

  beforeAll(async () => {
    ({ vault: env.vault, owner } = await vaultWithOwner('pool-a', 'hostile'));
    db = await adminDatabase();
    env.tk = await createTransportKey(owner, env.vault, { maxUses: 50 });
    env.key = createPublicKey(env.tk.publicKeyPem);
    const elsewhere = await vaultWithOwner('pool-a', 'hostile-other');
    env.other = await createTransportKey(elsewhere.owner, elsewhere.vault);
    env.expired = await createTransportKey(owner, env.vault);
    await db.query("UPDATE transport_keys SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = $1", [env.expired.kid.split('/').pop()]);
    env.used = await createTransportKey(owner, env.vault);
    await importKey(owner, { vault: env.vault, name: 'first-use', ...raw(env, wrapForImport(createPublicKey(env.used.publicKeyPem), randomBytes(32), 'SHA-1'), { transportKid: env.used.kid }) });
    env.revoked = await createTransportKey(owner, env.vault);
    await owner.data('mutation($v: String!, $k: String!) { revokeTransportKey(vault: $v, kid: $k) { kid } }', { v: env.vault, k: env.revoked.kid });
  });
  afterAll(async () => {
    await db.end();
  });

  it.each(CASES)('%s is %s', async (title, make, code) => {
    const name = `h-${randomBytes(4).toString('hex')}`;
    const result = await owner.request(IMPORT, { i: { vault: env.vault, name, ...make(env) } });
    expect(result.errors?.[0].extensions?.code).toBe(code);
    const keys = await db.query('SELECT 1 FROM keys k JOIN vaults v ON v.id = k.vault_id WHERE v.name = $1 AND k.name = $2', [env.vault, name]);
    expect(keys.rowCount).toBe(0);
    expect(objectsLabelled(pool('pool-a'), `${env.vault}/${name}/1`)).toHaveLength(0);
    const ledger = await db.query('SELECT outcome, error_code, details FROM ledger_entries WHERE vault = $1 AND key_name = $2 AND operation = $3', [env.vault, name, 'importKey']);
    expect(ledger.rows).toHaveLength(1);
    expect(ledger.rows[0]).toMatchObject({ outcome: 'failed', error_code: code });
    expect(JSON.stringify(ledger.rows[0].details)).not.toContain(String(make(env).blob).slice(0, 64));
    expect(title).toBeTruthy();
  });

  it('spent no use of the transport key on any refusal', async () => {
    const { rows } = await db.query('SELECT uses FROM transport_keys WHERE id = $1', [env.tk.kid.split('/').pop()]);
    expect(rows[0].uses).toBe(0);
  });

  it('a principal without import is refused (FORBIDDEN, recorded as denied); one without a grant does not see the vault', async () => {
    const reader = await principalWith(env.vault, ['get', 'manageTransportKeys']);
    const name = 'no-permission';
    expect(await reader.errorCode(IMPORT, { i: { vault: env.vault, name, ...raw(env, aesBlob(env)) } })).toBe('FORBIDDEN');
    const stranger = await principalWith(env.vault, []);
    expect(await stranger.errorCode(IMPORT, { i: { vault: env.vault, name, ...raw(env, aesBlob(env)) } })).toBe('VAULT_NOT_FOUND');
    const ledger = await db.query('SELECT outcome, error_code FROM ledger_entries WHERE vault = $1 AND key_name = $2 ORDER BY seq', [env.vault, name]);
    expect(ledger.rows).toEqual([
      { outcome: 'denied', error_code: 'FORBIDDEN' },
      { outcome: 'denied', error_code: 'VAULT_NOT_FOUND' },
    ]);
  });

  it('a single-use key serves exactly one of two concurrent imports; the loser leaves nothing behind', async () => {
    const single = await createTransportKey(owner, env.vault);
    const key = createPublicKey(single.publicKeyPem);
    const names = ['race-a', 'race-b'];
    const results = await Promise.all(
      names.map((name) => owner.request(IMPORT, { i: { vault: env.vault, name, ...raw(env, wrapForImport(key, randomBytes(32), 'SHA-1'), { transportKid: single.kid }) } })),
    );
    const codes = results.map((r) => r.errors?.[0].extensions?.code ?? 'ok').sort();
    expect(codes).toEqual(['TRANSPORT_KEY_USED', 'ok']);
    const loser = names[results.findIndex((r) => r.errors)];
    expect(objectsLabelled(pool('pool-a'), `${env.vault}/${loser}/1`)).toHaveLength(0);
  });
});

describe('hostile BYOK imports on pool-n (NSS)', () => {
  let vault: string;
  let owner: GatewayClient;
  let tk: TransportKeyResult;

  beforeAll(async () => {
    ({ vault, owner } = await vaultWithOwner('pool-n', 'hostile-nss'));
    tk = await createTransportKey(owner, vault, { maxUses: 10 });
  });

  it.each([
    ['a SHA-1 blob declared SHA-256', { oaepHash: 'SHA-256' }, 'SHA-1', 'BLOB_INTEGRITY_FAILED'],
    ['a secp256k1 key (the module has no secp256k1)', { kty: 'EC', size: null, curve: 'secp256k1', publicKey: pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey) }, 'SHA-1', 'UNSUPPORTED_BY_HSM'],
  ] as const)('%s is %s', async (_title, extra, hash, code) => {
    const name = `h-${randomBytes(4).toString('hex')}`;
    const blob = wrapForImport(createPublicKey(tk.publicKeyPem), randomBytes(32), hash);
    const result = await owner.request(IMPORT, {
      i: { vault, name, kty: 'oct', size: 256, format: 'raw', blob: blob.toString('base64url'), transportKid: tk.kid, oaepHash: 'SHA-1', ...extra },
    });
    expect(result.errors?.[0].extensions?.code).toBe(code);
    const { keys } = await owner.data<{ keys: { edges: unknown[] } }>('query($v: String!) { keys(vault: $v) { edges { cursor } } }', { v: vault });
    expect(keys.edges).toHaveLength(0);
  });
});
