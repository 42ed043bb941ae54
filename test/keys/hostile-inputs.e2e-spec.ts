import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { adminDatabase, createKey, GatewayClient, ledgerRows, principalWith, vaultWithOwner } from '@keybridge/testing';

const SIGN = 'mutation($k: KeyRefInput!, $a: String!, $d: String!) { sign(key: $k, algorithm: $a, digest: $d) { value } }';
const WRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { wrapKey(key: $k, algorithm: $a, value: $v) { value } }';
const UNWRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { unwrapKey(key: $k, algorithm: $a, value: $v) { value } }';
const ENCRYPT = 'mutation($k: KeyRefInput!, $a: String!, $p: String!, $iv: String) { encrypt(key: $k, algorithm: $a, plaintext: $p, iv: $iv) { value } }';
const DECRYPT = 'mutation($k: KeyRefInput!, $a: String!, $c: String!, $iv: String, $t: String) { decrypt(key: $k, algorithm: $a, ciphertext: $c, iv: $iv, tag: $t) { value } }';
const CREATE = 'mutation($i: CreateKeyInput!) { createKey(input: $i) { kid } }';
const UPDATE = 'mutation($i: UpdateKeyInput!) { updateKey(input: $i) { kid } }';

const digest32 = createHash('sha256').update('x').digest('base64url');
const value32 = Buffer.alloc(32, 7).toString('base64url');
const tags = (n: number, len = 3) => Array.from({ length: n }, (_, i) => ({ name: `t${i}`.padEnd(len, 'x'), value: 'v' }));

describe('hostile inputs: a specific error code, nothing written but the ledger row', () => {
  let db: Client;
  let vault: string;
  let owner: GatewayClient;
  let other: { vault: string; owner: GatewayClient };
  let signOnly: GatewayClient;

  beforeAll(async () => {
    db = await adminDatabase();
    ({ vault, owner } = await vaultWithOwner('pool-a', 'hostile'));
    other = await vaultWithOwner('pool-b', 'hostile-other');
    await createKey(owner, { vault, name: 'rsa', kty: 'RSA', size: 2048 });
    await createKey(owner, { vault, name: 'ec', kty: 'EC', curve: 'P-256' });
    await createKey(owner, { vault, name: 'aes', kty: 'oct', size: 256 });
    await createKey(owner, { vault, name: 'off', kty: 'oct', size: 256, enabled: false });
    await createKey(owner, { vault, name: 'old', kty: 'EC', exp: new Date(Date.now() - 60_000).toISOString(), nbf: new Date(Date.now() - 120_000).toISOString() });
    await createKey(owner, { vault, name: 'later', kty: 'oct', nbf: new Date(Date.now() + 3_600_000).toISOString() });
    await createKey(owner, { vault, name: 'wraponly', kty: 'oct', keyOps: ['wrapKey'] });
    await createKey(other.owner, { vault: other.vault, name: 'theirs', kty: 'oct' });
    signOnly = await principalWith(vault, ['sign', 'get']);
  });

  afterAll(() => db.end());

  const k = (name: string, v?: string) => ({ vault, name, version: v });

  const cases: Array<[string, () => GatewayClient, string, () => Record<string, unknown>, string]> = [
    ['sign: digest of the wrong length', () => owner, SIGN, () => ({ k: k('ec'), a: 'ES256', d: Buffer.alloc(20).toString('base64url') }), 'INVALID_ARGUMENT'],
    ['sign: unknown algorithm', () => owner, SIGN, () => ({ k: k('ec'), a: 'ES999', d: digest32 }), 'UNSUPPORTED_ALGORITHM'],
    ['sign: algorithm not valid for the key type', () => owner, SIGN, () => ({ k: k('ec'), a: 'RS256', d: digest32 }), 'ALGORITHM_NOT_VALID_FOR_KEY'],
    ['sign: algorithm for another curve', () => owner, SIGN, () => ({ k: k('ec'), a: 'ES384', d: digest32 }), 'ALGORITHM_NOT_VALID_FOR_KEY'],
    ['sign: with an AES key', () => owner, SIGN, () => ({ k: k('aes'), a: 'ES256', d: digest32 }), 'OPERATION_NOT_ALLOWED'],
    ['sign: expired key', () => owner, SIGN, () => ({ k: k('old'), a: 'ES256', d: digest32 }), 'KEY_EXPIRED'],
    ['sign: malformed base64url digest', () => owner, SIGN, () => ({ k: k('ec'), a: 'ES256', d: 'not base64!' }), 'INVALID_ARGUMENT'],
    ['sign: empty digest', () => owner, SIGN, () => ({ k: k('ec'), a: 'ES256', d: '' }), 'INVALID_ARGUMENT'],
    ['sign: unknown version', () => owner, SIGN, () => ({ k: k('ec', '7'), a: 'ES256', d: digest32 }), 'KEY_VERSION_NOT_FOUND'],
    ['sign: malformed version', () => owner, SIGN, () => ({ k: k('ec', 'v0'), a: 'ES256', d: digest32 }), 'INVALID_ARGUMENT'],
    ['wrapKey: disabled key', () => owner, WRAP, () => ({ k: k('off'), a: 'A256KW', v: value32 }), 'KEY_DISABLED'],
    ['wrapKey: key not yet valid', () => owner, WRAP, () => ({ k: k('later'), a: 'A256KW', v: value32 }), 'KEY_NOT_YET_VALID'],
    ['wrapKey: missing permission', () => signOnly, WRAP, () => ({ k: k('aes'), a: 'A256KW', v: value32 }), 'FORBIDDEN'],
    ['wrapKey: another vault\'s key through this vault', () => owner, WRAP, () => ({ k: k('theirs'), a: 'A256KW', v: value32 }), 'KEY_NOT_FOUND'],
    ['wrapKey: a vault without a grant', () => owner, WRAP, () => ({ k: { vault: other.vault, name: 'theirs' }, a: 'A256KW', v: value32 }), 'VAULT_NOT_FOUND'],
    ['wrapKey: malformed base64url', () => owner, WRAP, () => ({ k: k('aes'), a: 'A256KW', v: '%%%' }), 'INVALID_ARGUMENT'],
    ['wrapKey: empty input', () => owner, WRAP, () => ({ k: k('aes'), a: 'CKM_AES_KEY_WRAP_PAD', v: '' }), 'INVALID_ARGUMENT'],
    ['wrapKey: AES-KW value not a multiple of 8', () => owner, WRAP, () => ({ k: k('aes'), a: 'A256KW', v: Buffer.alloc(20).toString('base64url') }), 'INVALID_ARGUMENT'],
    ['wrapKey: A128KW with a 256-bit key', () => owner, WRAP, () => ({ k: k('aes'), a: 'A128KW', v: value32 }), 'ALGORITHM_NOT_VALID_FOR_KEY'],
    ['wrapKey: oversized input', () => owner, WRAP, () => ({ k: k('aes'), a: 'CKM_AES_KEY_WRAP_PAD', v: Buffer.alloc(70_000).toString('base64url') }), 'INVALID_ARGUMENT'],
    ['unwrapKey: key_ops without unwrapKey', () => owner, UNWRAP, () => ({ k: k('wraponly'), a: 'A256KW', v: Buffer.alloc(40).toString('base64url') }), 'OPERATION_NOT_ALLOWED'],
    ['unwrapKey: tampered AES-KW ciphertext', () => owner, UNWRAP, () => ({ k: k('aes'), a: 'A256KW', v: Buffer.alloc(40, 1).toString('base64url') }), 'DECRYPTION_FAILED'],
    ['unwrapKey: RSA ciphertext of the wrong length', () => owner, UNWRAP, () => ({ k: k('rsa'), a: 'RSA_OAEP', v: Buffer.alloc(100).toString('base64url') }), 'INVALID_ARGUMENT'],
    ['encrypt: GCM iv of the wrong length', () => owner, ENCRYPT, () => ({ k: k('aes'), a: 'A256GCM', p: value32, iv: Buffer.alloc(8).toString('base64url') }), 'INVALID_ARGUMENT'],
    ['encrypt: RSA plaintext too long for OAEP', () => owner, ENCRYPT, () => ({ k: k('rsa'), a: 'RSA_OAEP', p: Buffer.alloc(250).toString('base64url') }), 'INVALID_ARGUMENT'],
    ['decrypt: GCM without a tag', () => owner, DECRYPT, () => ({ k: k('aes'), a: 'A256GCM', c: value32, iv: Buffer.alloc(12).toString('base64url') }), 'INVALID_ARGUMENT'],
    ['decrypt: unknown key', () => owner, DECRYPT, () => ({ k: k('nope'), a: 'A256GCM', c: value32 }), 'KEY_NOT_FOUND'],
  ];

  it.each(cases)('%s', async (_name, client, mutation, variables, code) => {
    const vars = variables();
    const ledgerVault = (vars.k as { vault: string }).vault;
    const before = await ledgerRows(db, ledgerVault);
    const result = await client().request(mutation, vars);
    expect(result.errors?.[0].extensions?.code).toBe(code);
    expect(result.data ?? null).toBeNull();
    const added = (await ledgerRows(db, ledgerVault)).slice(before.length);
    expect(added).toHaveLength(1);
    const denied = code === 'FORBIDDEN' || code === 'VAULT_NOT_FOUND';
    expect(added[0]).toMatchObject({ outcome: denied ? 'denied' : 'failed', error_code: code });
  });

  /** The same case as the one item of a batch call: the same code, as the call's error or as the item's. */
  const BATCH = 'index value error { code }';
  const asBatch = (mutation: string, v: Record<string, unknown>): [string, Record<string, unknown>] => {
    switch (mutation) {
      case SIGN:
        return [`mutation($k: KeyRefInput!, $a: String!, $d: [String!]!) { signBatch(key: $k, algorithm: $a, digests: $d) { items { ${BATCH} } } }`, { k: v.k, a: v.a, d: [v.d] }];
      case WRAP:
        return [`mutation($k: KeyRefInput!, $a: String!, $v: [String!]!) { wrapKeys(key: $k, algorithm: $a, values: $v) { items { ${BATCH} } } }`, { k: v.k, a: v.a, v: [v.v] }];
      case UNWRAP:
        return [`mutation($k: KeyRefInput!, $a: String!, $v: [String!]!) { unwrapKeys(key: $k, algorithm: $a, values: $v) { items { ${BATCH} } } }`, { k: v.k, a: v.a, v: [v.v] }];
      case ENCRYPT:
        return [
          `mutation($k: KeyRefInput!, $a: String!, $i: [EncryptItemInput!]!) { encryptBatch(key: $k, algorithm: $a, items: $i) { items { ${BATCH} } } }`,
          { k: v.k, a: v.a, i: [{ plaintext: v.p, iv: v.iv ?? null }] },
        ];
      case DECRYPT:
        return [
          `mutation($k: KeyRefInput!, $a: String!, $i: [DecryptItemInput!]!) { decryptBatch(key: $k, algorithm: $a, items: $i) { items { ${BATCH} } } }`,
          { k: v.k, a: v.a, i: [{ ciphertext: v.c, iv: v.iv ?? null, tag: v.t ?? null }] },
        ];
      default:
        throw new Error('no batch form');
    }
  };

  it.each(cases)('as a batch item: %s', async (_name, client, mutation, variables, code) => {
    const vars = variables();
    const ledgerVault = (vars.k as { vault: string }).vault;
    const before = await ledgerRows(db, ledgerVault);
    const [batchMutation, batchVars] = asBatch(mutation, vars);
    const result = await client().request<Record<string, { items: Array<{ value: string | null; error: { code: string } | null }> }>>(batchMutation, batchVars);
    const item = result.data ? Object.values(result.data)[0].items[0] : undefined;
    expect(result.errors?.[0].extensions?.code ?? item?.error?.code).toBe(code);
    expect(item?.value ?? null).toBeNull();
    const added = (await ledgerRows(db, ledgerVault)).slice(before.length);
    expect(added).toHaveLength(1);
    const denied = code === 'FORBIDDEN' || code === 'VAULT_NOT_FOUND';
    expect(added[0]).toMatchObject({ outcome: denied ? 'denied' : 'failed', error_code: code });
  });

  const createCases: Array<[string, Record<string, unknown>, string]> = [
    ['16 tags', { kty: 'oct', tags: tags(16) }, 'INVALID_ARGUMENT'],
    ['a 257-character tag name', { kty: 'oct', tags: [{ name: 'n'.repeat(257), value: 'v' }] }, 'INVALID_ARGUMENT'],
    ['a 257-character tag value', { kty: 'oct', tags: [{ name: 'n', value: 'v'.repeat(257) }] }, 'INVALID_ARGUMENT'],
    ['an unknown key type', { kty: 'DSA' }, 'INVALID_ARGUMENT'],
    ['RSA 1024', { kty: 'RSA', size: 1024 }, 'INVALID_ARGUMENT'],
    ['an unknown curve', { kty: 'EC', curve: 'P-192' }, 'INVALID_ARGUMENT'],
    ['key_ops the type cannot do', { kty: 'EC', keyOps: ['encrypt'] }, 'INVALID_ARGUMENT'],
    ['nbf after exp', { kty: 'oct', nbf: '2030-01-02T00:00:00Z', exp: '2030-01-01T00:00:00Z' }, 'INVALID_ARGUMENT'],
    ['an existing name', { kty: 'oct', name: 'aes' }, 'KEY_ALREADY_EXISTS'],
    ['a bad name', { kty: 'oct', name: 'has space' }, 'INVALID_ARGUMENT'],
  ];

  it.each(createCases)('createKey with %s creates nothing', async (_name, input, code) => {
    const name = (input.name as string | undefined) ?? 'never';
    const keysBefore = await db.query('SELECT count(*)::int AS n FROM keys k JOIN vaults v ON v.id = k.vault_id WHERE v.name = $1', [vault]);
    const result = await owner.request(CREATE, { i: { vault, ...input, name } });
    expect(result.errors?.[0].extensions?.code).toBe(code);
    const keysAfter = await db.query('SELECT count(*)::int AS n FROM keys k JOIN vaults v ON v.id = k.vault_id WHERE v.name = $1', [vault]);
    expect(keysAfter.rows[0].n).toBe(keysBefore.rows[0].n);
    const rows = await ledgerRows(db, vault);
    expect(rows.at(-1)).toMatchObject({ operation: 'createKey', outcome: 'failed', error_code: code });
  });

  it('a value of the wrong JSON type is refused without quoting it back', async () => {
    const secret = 98765432123456789;
    const result = await owner.request(WRAP, { k: k('aes'), a: 'A256KW', v: secret });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(result)).not.toContain('98765432');
  });

  it('updateKey with a 16th tag changes nothing', async () => {
    const result = await owner.request(UPDATE, { i: { vault, name: 'aes', tags: tags(16), enabled: false } });
    expect(result.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    const row = await db.query(
      `SELECT kv.enabled, k.tags FROM keys k JOIN vaults v ON v.id = k.vault_id JOIN key_versions kv ON kv.key_id = k.id WHERE v.name = $1 AND k.name = 'aes'`,
      [vault],
    );
    expect(row.rows[0]).toEqual({ enabled: true, tags: {} });
  });
});
