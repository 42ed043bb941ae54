import { randomBytes } from 'node:crypto';
import { adminDatabase, adminToken, createKey, GatewayClient, ledgerRows, principalWith, requireEnv, vaultWithOwner } from '@keybridge/testing';
import { Client } from 'pg';
import { GENERATE, RELEASE } from './support';

const DEPOSIT = 'mutation($i: DepositWrappedKeyInput!) { depositWrappedKey(input: $i) { id kid keyVersion algorithm owner origin labels { name value } } }';
const WRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { wrapKey(key: $k, algorithm: $a, value: $v) { value } }';
const UNWRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { unwrapKey(key: $k, algorithm: $a, value: $v) { value } }';
const LIST = `query($f: EscrowRecordFilterInput!, $first: Int, $after: String) {
  escrowRecords(filter: $f, first: $first, after: $after) { edges { cursor node { id owner keyVersion labels { name value } } } pageInfo { hasNextPage endCursor } } }`;
const REWRAP = `mutation($from: KeyRefInput!, $fa: String!, $to: KeyRefInput!, $items: [String!]!) {
  rewrapWrappedKeys(from: $from, fromAlgorithm: $fa, to: $to, items: $items) { sourceKid kid algorithm items { value error } } }`;

const b64 = (b: Buffer): string => b.toString('base64url');

describe('escrow records: generate, deposit, release, list; batch rewrap; queues board', () => {
  let db: Client;
  let vault: string;
  let owner: GatewayClient;
  let other: { vault: string; owner: GatewayClient };
  let depositOnly: GatewayClient;
  let noDeposit: GatewayClient;

  beforeAll(async () => {
    db = await adminDatabase();
    ({ vault, owner } = await vaultWithOwner('pool-a', 'escrow'));
    other = await vaultWithOwner('pool-b', 'escrow-other');
    await createKey(owner, { vault, name: 'aes', kty: 'oct', size: 256 });
    await createKey(owner, { vault, name: 'aes2', kty: 'oct', size: 256 });
    await createKey(owner, { vault, name: 'rsa', kty: 'RSA', size: 2048 });
    await createKey(owner, { vault, name: 'ec', kty: 'EC', curve: 'P-256' });
    await createKey(owner, { vault, name: 'off', kty: 'oct', enabled: false });
    await createKey(owner, { vault, name: 'unwraponly', kty: 'oct', keyOps: ['unwrapKey'] });
    await createKey(owner, { vault, name: 'old', kty: 'oct', nbf: new Date(Date.now() - 120_000).toISOString(), exp: new Date(Date.now() - 60_000).toISOString() });
    await createKey(other.owner, { vault: other.vault, name: 'theirs', kty: 'oct' });
    depositOnly = await principalWith(vault, ['escrowDeposit', 'list']);
    noDeposit = await principalWith(vault, ['escrowRelease', 'wrapKey', 'list']);
  });

  afterAll(() => db.end());

  it('generateDataKey returns the data key once; releaseDataKey returns the same key; both are ledger entries', async () => {
    const before = (await ledgerRows(db, vault)).length;
    const { generateDataKey } = await owner.data<{ generateDataKey: { plaintext: string; record: { id: string; kid: string; algorithm: string; owner: string } } }>(
      GENERATE,
      { i: { vault, key: 'aes', bits: 256, owner: 'billing', labels: [{ name: 'env', value: 'prod' }] } },
    );
    expect(Buffer.from(generateDataKey.plaintext, 'base64url')).toHaveLength(32);
    expect(generateDataKey.record).toMatchObject({ kid: `/vaults/${vault}/keys/aes/1`, algorithm: 'CKM_AES_KEY_WRAP_PAD', owner: 'billing' });
    const { releaseDataKey } = await owner.data<{ releaseDataKey: { plaintext: string } }>(RELEASE, { id: generateDataKey.record.id });
    expect(releaseDataKey.plaintext).toBe(generateDataKey.plaintext);
    const added = (await ledgerRows(db, vault)).slice(before);
    expect(added.map((r) => [r.operation, r.outcome, r.key_name, r.key_version])).toEqual([
      ['escrowGenerateDataKey', 'success', 'aes', 1],
      ['escrowRelease', 'success', 'aes', 1],
    ]);
    // Nothing of the data key is stored in plaintext: the row holds the 40-byte RFC 5649 blob only.
    const { rows } = await db.query<{ wrapped: Buffer }>('SELECT wrapped FROM escrow_records WHERE id = $1', [generateDataKey.record.id]);
    expect(rows[0].wrapped).toHaveLength(40);
    expect(rows[0].wrapped.includes(Buffer.from(generateDataKey.plaintext, 'base64url'))).toBe(false);
  });

  it('RSA keys wrap data keys with RSA-OAEP inside the HSM', async () => {
    const { generateDataKey } = await owner.data<{ generateDataKey: { plaintext: string; record: { id: string; algorithm: string } } }>(GENERATE, {
      i: { vault, key: 'rsa', bits: 128, owner: 'billing' },
    });
    expect(generateDataKey.record.algorithm).toBe('RSA_OAEP');
    const { releaseDataKey } = await owner.data<{ releaseDataKey: { plaintext: string } }>(RELEASE, { id: generateDataKey.record.id });
    expect(releaseDataKey.plaintext).toBe(generateDataKey.plaintext);
  });

  it.each(['CKM_AES_KEY_WRAP_PAD', 'A256KW'])('depositWrappedKey stores what wrapKey (%s) made, and it releases', async (algorithm) => {
    const dek = randomBytes(32);
    const { wrapKey } = await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault, name: 'aes' }, a: algorithm, v: b64(dek) });
    const { depositWrappedKey } = await owner.data<{ depositWrappedKey: { id: string; origin: string; algorithm: string } }>(DEPOSIT, {
      i: { vault, key: 'aes', algorithm, wrapped: wrapKey.value, owner: 'deposits', labels: [{ name: 'alg', value: algorithm }] },
    });
    expect(depositWrappedKey).toMatchObject({ origin: 'deposited', algorithm });
    const { releaseDataKey } = await owner.data<{ releaseDataKey: { plaintext: string } }>(RELEASE, { id: depositWrappedKey.id });
    expect(releaseDataKey.plaintext).toBe(b64(dek));
  });

  it('escrowRecords filters by key, version, owner and labels, with cursor pagination (metadata only)', async () => {
    for (const env of ['a', 'b', 'a']) {
      await owner.data(GENERATE, { i: { vault, key: 'aes2', bits: 128, owner: 'lister', labels: [{ name: 'env', value: env }, { name: 'team', value: 't' }] } });
    }
    const all = await owner.data<{ escrowRecords: { edges: Array<{ cursor: string; node: { owner: string } }>; pageInfo: { hasNextPage: boolean } } }>(LIST, {
      f: { vault, key: 'aes2', owner: 'lister' },
      first: 2,
    });
    expect(all.escrowRecords.edges).toHaveLength(2);
    expect(all.escrowRecords.pageInfo.hasNextPage).toBe(true);
    const rest = await owner.data<{ escrowRecords: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } }>(LIST, {
      f: { vault, key: 'aes2', owner: 'lister' },
      first: 2,
      after: all.escrowRecords.edges[1].cursor,
    });
    expect(rest.escrowRecords.edges).toHaveLength(1);
    expect(rest.escrowRecords.pageInfo.hasNextPage).toBe(false);
    const labelled = await owner.data<{ escrowRecords: { edges: unknown[] } }>(LIST, { f: { vault, labels: [{ name: 'env', value: 'a' }], version: null, key: 'aes2' } });
    expect(labelled.escrowRecords.edges).toHaveLength(2);
    const v2 = await owner.data<{ escrowRecords: { edges: unknown[] } }>(LIST, { f: { vault, key: 'aes2', version: '2' } });
    expect(v2.escrowRecords.edges).toHaveLength(0);
  });

  const k = (name: string, version?: string): Record<string, unknown> => ({ vault, key: name, version, bits: 256, owner: 'o' });
  const generateCases: Array<[string, () => GatewayClient, () => Record<string, unknown>, string]> = [
    ['unknown key', () => owner, () => k('nope'), 'KEY_NOT_FOUND'],
    ['unknown version', () => owner, () => k('aes', '9'), 'KEY_VERSION_NOT_FOUND'],
    ['EC key', () => owner, () => k('ec'), 'WRAPPING_KEY_TYPE_INVALID'],
    ['disabled key', () => owner, () => k('off'), 'KEY_DISABLED'],
    ['expired key', () => owner, () => k('old'), 'KEY_EXPIRED'],
    ['key_ops without wrapKey', () => owner, () => k('unwraponly'), 'OPERATION_NOT_ALLOWED'],
    ['bits not 128/192/256', () => owner, () => ({ ...k('aes'), bits: 100 }), 'INVALID_ARGUMENT'],
    ['empty owner', () => owner, () => ({ ...k('aes'), owner: '' }), 'INVALID_ARGUMENT'],
    ['16 labels', () => owner, () => ({ ...k('aes'), labels: Array.from({ length: 16 }, (_, i) => ({ name: `l${i}`, value: 'v' })) }), 'INVALID_ARGUMENT'],
    ['missing escrowDeposit', () => noDeposit, () => ({ ...k('aes') }), 'FORBIDDEN'],
    ['a vault without a grant', () => owner, () => ({ ...k('theirs'), vault: other.vault }), 'VAULT_NOT_FOUND'],
  ];

  it.each(generateCases)('generateDataKey: %s', async (_name, client, input, code) => {
    const count = async (): Promise<string> =>
      (await db.query('SELECT count(*) AS n FROM escrow_records r JOIN vaults v ON v.id = r.vault_id WHERE v.name = ANY($1)', [[vault, other.vault]])).rows[0].n;
    const before = await count();
    expect(await client().errorCode(GENERATE, { i: input() })).toBe(code);
    expect(await count()).toBe(before);
  });

  const wrapped40 = b64(randomBytes(40));
  const depositCases: Array<[string, Record<string, unknown>, string]> = [
    ['not base64url', { wrapped: '%%%' }, 'INVALID_ARGUMENT'],
    ['empty', { wrapped: '' }, 'INVALID_ARGUMENT'],
    ['KWP blob of a wrong length', { wrapped: b64(randomBytes(41)) }, 'INVALID_ARGUMENT'],
    ['RSA blob of the wrong length', { key: 'rsa', algorithm: 'RSA_OAEP', wrapped: wrapped40 }, 'INVALID_ARGUMENT'],
    ['RSA1_5 (not kept in escrow)', { key: 'rsa', algorithm: 'RSA1_5', wrapped: b64(randomBytes(256)) }, 'UNSUPPORTED_ALGORITHM'],
    ['unknown algorithm', { algorithm: 'XOR' }, 'UNSUPPORTED_ALGORITHM'],
    ['A128KW with a 256-bit key', { algorithm: 'A128KW' }, 'ALGORITHM_NOT_VALID_FOR_KEY'],
    ['EC key', { key: 'ec' }, 'WRAPPING_KEY_TYPE_INVALID'],
  ];

  it.each(depositCases)('depositWrappedKey: %s', async (_name, patch, code) => {
    const input = { vault, key: 'aes', algorithm: 'CKM_AES_KEY_WRAP_PAD', wrapped: wrapped40, owner: 'o', ...patch };
    expect(await owner.errorCode(DEPOSIT, { i: input })).toBe(code);
  });

  it('releaseDataKey refuses with typed errors, each a ledger entry', async () => {
    const { generateDataKey } = await owner.data<{ generateDataKey: { record: { id: string } } }>(GENERATE, { i: k('aes') });
    const id = generateDataKey.record.id;
    const { depositWrappedKey } = await owner.data<{ depositWrappedKey: { id: string } }>(DEPOSIT, {
      i: { vault, key: 'aes', algorithm: 'CKM_AES_KEY_WRAP_PAD', wrapped: wrapped40, owner: 'garbage' },
    });
    const before = (await ledgerRows(db, vault)).length;
    expect(await owner.errorCode(RELEASE, { id: randomUUIDLike() })).toBe('ESCROW_RECORD_NOT_FOUND');
    expect(await owner.errorCode(RELEASE, { id: 'not-an-id' })).toBe('ESCROW_RECORD_NOT_FOUND');
    expect(await other.owner.errorCode(RELEASE, { id })).toBe('ESCROW_RECORD_NOT_FOUND'); // no grant: the vault stays hidden
    expect(await depositOnly.errorCode(RELEASE, { id })).toBe('FORBIDDEN');
    expect(await owner.errorCode(RELEASE, { id: depositWrappedKey.id })).toBe('DECRYPTION_FAILED');
    const added = (await ledgerRows(db, vault)).slice(before);
    expect(added.map((r) => [r.operation, r.outcome, r.error_code])).toEqual([
      ['escrowRelease', 'denied', 'ESCROW_RECORD_NOT_FOUND'],
      ['escrowRelease', 'denied', 'FORBIDDEN'],
      ['escrowRelease', 'failed', 'DECRYPTION_FAILED'],
    ]);
  });

  it('rewrapWrappedKeys moves caller-held blobs to another key inside the HSM, item by item', async () => {
    const deks = [randomBytes(32), randomBytes(16), randomBytes(24)];
    const items = await Promise.all(
      deks.map(async (d) => (await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault, name: 'aes' }, a: 'CKM_AES_KEY_WRAP_PAD', v: b64(d) })).wrapKey.value),
    );
    const { rewrapWrappedKeys } = await owner.data<{ rewrapWrappedKeys: { kid: string; algorithm: string; items: Array<{ value: string | null; error: string | null }> } }>(
      REWRAP,
      { from: { vault, name: 'aes' }, fa: 'CKM_AES_KEY_WRAP_PAD', to: { vault, name: 'aes2' }, items: [...items, wrapped40, '%%%'] },
    );
    expect(rewrapWrappedKeys.kid).toBe(`/vaults/${vault}/keys/aes2/1`);
    expect(rewrapWrappedKeys.items.map((i) => i.error)).toEqual([null, null, null, 'DECRYPTION_FAILED', 'INVALID_ARGUMENT']);
    for (const [i, dek] of deks.entries()) {
      const { unwrapKey } = await owner.data<{ unwrapKey: { value: string } }>(UNWRAP, {
        k: { vault, name: 'aes2' },
        a: 'CKM_AES_KEY_WRAP_PAD',
        v: rewrapWrappedKeys.items[i].value,
      });
      expect(unwrapKey.value).toBe(b64(dek));
    }
  });

  it.each<[string, () => Record<string, unknown>, string]>([
    ['more than 1,000 items', () => ({ items: Array.from({ length: 1001 }, () => wrapped40) }), 'INVALID_ARGUMENT'],
    ['no items', () => ({ items: [] }), 'INVALID_ARGUMENT'],
    ['target in another pool', () => ({ to: { vault: other.vault, name: 'theirs' } }), 'VAULT_NOT_FOUND'],
    ['target of the wrong type', () => ({ to: { vault, name: 'ec' } }), 'WRAPPING_KEY_TYPE_INVALID'],
    ['disabled target', () => ({ to: { vault, name: 'off' } }), 'KEY_DISABLED'],
    ['target without wrapKey', () => ({ to: { vault, name: 'unwraponly' } }), 'OPERATION_NOT_ALLOWED'],
  ])('rewrapWrappedKeys: %s', async (_name, patch, code) => {
    const variables = { from: { vault, name: 'aes' }, fa: 'CKM_AES_KEY_WRAP_PAD', to: { vault, name: 'aes2' }, items: [wrapped40], ...patch() };
    expect(await owner.errorCode(REWRAP, variables)).toBe(code);
  });

  it('rewrapWrappedKeys refuses keys in different pools (no transfer key between pools)', async () => {
    await admin().data('mutation($p: String!, $v: String!, $perms: [Permission!]!) { setGrant(principal: $p, vault: $v, permissions: $perms) { vault } }', {
      p: (await principalNameOf(owner)) ?? '',
      v: other.vault,
      perms: ['wrapKey', 'unwrapKey', 'get'],
    });
    const code = await owner.errorCode(REWRAP, { from: { vault, name: 'aes' }, fa: 'CKM_AES_KEY_WRAP_PAD', to: { vault: other.vault, name: 'theirs' }, items: [wrapped40] });
    expect(code).toBe('UNSUPPORTED_BY_HSM');
  });

  describe('bull-board at /admin/queues', () => {
    const base = (): string => `${requireEnv('KEYBRIDGE_GATEWAY_URL')}/admin/queues`;

    it('refuses without credentials and for non-admins', async () => {
      expect((await fetch(base(), { redirect: 'manual' })).status).toBe(401);
      expect((await fetch(base(), { headers: { authorization: `Bearer ${owner.token}` }, redirect: 'manual' })).status).toBe(401);
      expect((await fetch(`${base()}?token=${owner.token}`, { redirect: 'manual' })).status).toBe(401);
      expect((await fetch(base(), { headers: { cookie: 'keybridge_board=00000000-0000-0000-0000-000000000000.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).status).toBe(401);
    });

    it('serves admins: bearer header, or ?token= once, exchanged for a short-lived cookie', async () => {
      expect((await fetch(base(), { headers: { authorization: `Bearer ${adminToken()}` } })).status).toBe(200);
      const first = await fetch(`${base()}?token=${adminToken()}`, { redirect: 'manual' });
      expect(first.status).toBe(303);
      expect(first.headers.get('location')).toBe('/admin/queues');
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
      expect(first.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
      const page = await fetch(base(), { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      const api = await fetch(`${base()}/api/queues`, { headers: { cookie } });
      expect(api.status).toBe(200);
      expect(JSON.stringify(await api.json())).toContain('keybridge-rewrap');
    });
  });
});

function admin(): GatewayClient {
  return new GatewayClient(adminToken());
}

async function principalNameOf(client: GatewayClient): Promise<string | undefined> {
  const { me } = await client.data<{ me: { name: string } }>('{ me { name } }');
  return me.name;
}

function randomUUIDLike(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
