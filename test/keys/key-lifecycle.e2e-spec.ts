import { admin, createKey, GatewayClient, KEY_FIELDS, KeyResult, principalWith, vaultWithOwner } from '@keybridge/testing';

type KeysPage = { keys: { edges: Array<{ cursor: string; node: { name: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

describe('key lifecycle through GraphQL (SoftHSM pool-a)', () => {
  let vault: string;
  let owner: GatewayClient;

  beforeAll(async () => {
    ({ vault, owner } = await vaultWithOwner('pool-a', 'life'));
  });

  it.each([
    { kty: 'RSA', size: 2048 },
    { kty: 'RSA', size: 3072 },
    { kty: 'RSA', size: 4096 },
    { kty: 'EC', curve: 'P-256' },
    { kty: 'EC', curve: 'P-384' },
    { kty: 'EC', curve: 'P-521' },
    { kty: 'EC', curve: 'secp256k1' },
    { kty: 'oct', size: 128 },
    { kty: 'oct', size: 192 },
    { kty: 'oct', size: 256 },
  ])('creates %o inside the HSM and returns only the public JWK', async (spec) => {
    const name = `k-${spec.kty}-${spec.size ?? spec.curve}`.toLowerCase().replace(/[^a-z0-9-]/g, '');
    const key = await createKey(owner, { vault, name, ...spec });
    expect(key).toMatchObject({ name, version: 1, kty: spec.kty, origin: 'generated', enabled: true, exportable: false });
    expect(key.kid).toBe(`/vaults/${vault}/keys/${name}/1`);
    const { key: fetched } = await owner.data<{ key: KeyResult }>(`query($v: String!, $n: String!) { key(vault: $v, name: $n) { ${KEY_FIELDS} } }`, {
      v: vault,
      n: name,
    });
    for (const member of PRIVATE_JWK_MEMBERS) expect(fetched.jwk).not.toHaveProperty(member);
    if (spec.kty === 'RSA') {
      expect(Buffer.from(fetched.jwk.n ?? '', 'base64url').length).toBe((spec.size ?? 0) / 8);
      expect(fetched.jwk.e).toBe('AQAB');
    } else if (spec.kty === 'EC') {
      expect(fetched.jwk.crv).toBe(spec.curve);
      expect(fetched.jwk.x).toBeTruthy();
      expect(fetched.jwk.y).toBeTruthy();
    } else {
      expect(fetched.jwk).toMatchObject({ kty: 'oct', n: null, x: null });
    }
  });

  it('pages through keys with Relay cursors', async () => {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: KeysPage = await owner.data<KeysPage>(
        'query($v: String!, $a: String) { keys(vault: $v, first: 3, after: $a) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }',
        { v: vault, a: after },
      );
      names.push(...page.keys.edges.map((e) => e.node.name));
      if (!page.keys.pageInfo.hasNextPage) break;
      after = page.keys.pageInfo.endCursor;
    }
    expect(names.length).toBeGreaterThanOrEqual(10);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
  });

  it('updates attributes, key_ops and tags; rotates; lists versions newest first', async () => {
    await createKey(owner, { vault, name: 'rot', kty: 'oct', size: 256, tags: [{ name: 'team', value: 'payments' }] });
    const exp = new Date(Date.now() + 86_400_000).toISOString();
    const { updateKey } = await owner.data<{ updateKey: KeyResult }>(`mutation($i: UpdateKeyInput!) { updateKey(input: $i) { ${KEY_FIELDS} } }`, {
      i: { vault, name: 'rot', enabled: false, exp, keyOps: ['wrapKey', 'unwrapKey'], tags: [{ name: 'team', value: 'risk' }, { name: 'env', value: 'prod' }] },
    });
    expect(updateKey).toMatchObject({ enabled: false, exp, keyOps: ['wrapKey', 'unwrapKey'] });
    expect(updateKey.tags).toEqual(expect.arrayContaining([{ name: 'team', value: 'risk' }, { name: 'env', value: 'prod' }]));

    const { rotateKey } = await owner.data<{ rotateKey: KeyResult }>(`mutation($v: String!) { rotateKey(vault: $v, name: "rot") { ${KEY_FIELDS} } }`, { v: vault });
    expect(rotateKey).toMatchObject({ version: 2, latestVersion: 2, enabled: true, exp: null, keyOps: ['wrapKey', 'unwrapKey'] });

    const { keyVersions } = await owner.data<{ keyVersions: { edges: Array<{ node: { version: number; enabled: boolean } }> } }>(
      'query($v: String!) { keyVersions(vault: $v, name: "rot") { edges { node { version enabled } } } }',
      { v: vault },
    );
    expect(keyVersions.edges.map((e) => e.node)).toEqual([
      { version: 2, enabled: true },
      { version: 1, enabled: false },
    ]);
    const { key } = await owner.data<{ key: KeyResult }>(`query($v: String!) { key(vault: $v, name: "rot", version: "v1") { ${KEY_FIELDS} } }`, { v: vault });
    expect(key).toMatchObject({ version: 1, enabled: false, exp });
  });

  it('soft-deletes, lists deleted, recovers, and purges only after a soft delete', async () => {
    await createKey(owner, { vault, name: 'gone', kty: 'EC' });
    const purgeLive = await owner.errorCode('mutation($v: String!) { purgeKey(vault: $v, name: "gone") }', { v: vault });
    expect(purgeLive).toBe('KEY_NOT_DELETED');

    const { deleteKey } = await owner.data<{ deleteKey: KeyResult }>(`mutation($v: String!) { deleteKey(vault: $v, name: "gone") { ${KEY_FIELDS} } }`, { v: vault });
    expect(deleteKey.deletedAt).toBeTruthy();
    expect(await owner.errorCode('query($v: String!) { key(vault: $v, name: "gone") { kid } }', { v: vault })).toBe('KEY_NOT_FOUND');
    const deleted = await owner.data<{ deletedKeys: { edges: Array<{ node: { name: string } }> } }>(
      'query($v: String!) { deletedKeys(vault: $v) { edges { node { name } } } }',
      { v: vault },
    );
    expect(deleted.deletedKeys.edges.map((e) => e.node.name)).toEqual(['gone']);

    await owner.data('mutation($v: String!) { recoverKey(vault: $v, name: "gone") { kid } }', { v: vault });
    await owner.data('query($v: String!) { key(vault: $v, name: "gone") { kid } }', { v: vault });

    await owner.data('mutation($v: String!) { deleteKey(vault: $v, name: "gone") { kid } }', { v: vault });
    expect(await owner.data('mutation($v: String!) { purgeKey(vault: $v, name: "gone") }', { v: vault })).toEqual({ purgeKey: true });
    expect(await owner.errorCode('mutation($v: String!) { recoverKey(vault: $v, name: "gone") { kid } }', { v: vault })).toBe('KEY_NOT_FOUND');
    // the name is free again after a purge
    await createKey(owner, { vault, name: 'gone', kty: 'oct' });
  });

  it('reports secp256k1 as UNSUPPORTED_BY_HSM on a pool whose module lacks it (NSS), naming the pool', async () => {
    const nss = await vaultWithOwner('pool-n', 'nsscurve');
    const result = await nss.owner.request('mutation($i: CreateKeyInput!) { createKey(input: $i) { kid } }', {
      i: { vault: nss.vault, name: 'k1', kty: 'EC', curve: 'secp256k1' },
    });
    expect(result.errors?.[0].extensions?.code).toBe('UNSUPPORTED_BY_HSM');
    expect(result.errors?.[0].message).toContain('pool-n');
  });

  it('exposes pool capabilities', async () => {
    const { pools } = await admin().data<{ pools: Array<{ name: string; capabilities: { vendor: string; oaepHashes: string[] } }> }>(
      '{ pools { name capabilities { vendor oaepHashes curves } } }',
    );
    const byName = Object.fromEntries(pools.map((p) => [p.name, p.capabilities]));
    expect(byName['pool-a']).toMatchObject({ vendor: 'softhsm2', oaepHashes: ['SHA-1'] });
    expect(byName['pool-n'].vendor).toBe('nss');
    expect(byName['pool-n'].oaepHashes).toEqual(expect.arrayContaining(['SHA-1', 'SHA-256']));
  });

  it('hides vaults from principals without a grant', async () => {
    const outsider = await principalWith(vault, []);
    expect(await outsider.errorCode('query($v: String!) { keys(vault: $v) { edges { cursor } } }', { v: vault })).toBe('VAULT_NOT_FOUND');
    const { vaults } = await outsider.data<{ vaults: Array<{ name: string }> }>('{ vaults { name } }');
    expect(vaults.map((v) => v.name)).not.toContain(vault);
  });
});
