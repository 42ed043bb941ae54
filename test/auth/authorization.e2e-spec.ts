import { Client } from 'pg';
import { admin, adminDatabase, createKey, GatewayClient, principalWith, vaultWithOwner } from '@keybridge/testing';

describe('authentication and authorization', () => {
  let db: Client;
  let vault: string;
  let owner: GatewayClient;

  beforeAll(async () => {
    db = await adminDatabase();
    ({ vault, owner } = await vaultWithOwner('pool-b', 'authz'));
    await createKey(owner, { vault, name: 'k', kty: 'oct' });
  });

  afterAll(() => db.end());

  it.each([
    ['no token', null],
    ['a malformed token', 'garbage'],
    ['an unknown API token', 'kb_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['an unverifiable JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'],
  ])('refuses %s with UNAUTHENTICATED', async (_name, token) => {
    const client = new GatewayClient(token);
    expect(await client.errorCode('{ me { name } }')).toBe('UNAUTHENTICATED');
    expect(await client.errorCode('{ vaults { name } }')).toBe('UNAUTHENTICATED');
  });

  it('stops accepting a token once revoked', async () => {
    const root = admin();
    await root.data('mutation { createPrincipal(name: "revokee") { id } }');
    const { createApiToken } = await root.data<{ createApiToken: { id: string; token: string } }>(
      'mutation { createApiToken(principal: "revokee", label: "short-lived") { id token } }',
    );
    const client = new GatewayClient(createApiToken.token);
    expect(await client.data('{ me { name } }')).toEqual({ me: { name: 'revokee' } });
    await root.data('mutation($id: String!) { revokeApiToken(id: $id) }', { id: createApiToken.id });
    expect(await client.errorCode('{ me { name } }')).toBe('UNAUTHENTICATED');
  });

  it('stores only a hash of each token', async () => {
    const { rows } = await db.query<{ token_hash: Buffer }>('SELECT token_hash FROM api_tokens');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.token_hash).toHaveLength(32);
  });

  it('lets only admins manage vaults, principals and grants, and records the denial', async () => {
    expect(await owner.errorCode('mutation { createVault(name: "mine", pool: "pool-a") { name } }')).toBe('FORBIDDEN');
    expect(await owner.errorCode('mutation { createPrincipal(name: "sneaky") { id } }')).toBe('FORBIDDEN');
    expect(await owner.errorCode('mutation($v: String!) { setGrant(principal: "sneaky", vault: $v, permissions: [get]) { vault } }', { v: vault })).toBe(
      'FORBIDDEN',
    );
    const { rows } = await db.query(`SELECT outcome, error_code FROM ledger_entries WHERE operation = 'createVault' AND vault = 'mine'`);
    expect(rows).toEqual([{ outcome: 'denied', error_code: 'FORBIDDEN' }]);
  });

  it('refuses a vault on an unknown pool and a duplicate vault', async () => {
    const root = admin();
    expect(await root.errorCode('mutation { createVault(name: "nowhere", pool: "pool-z") { name } }')).toBe('POOL_NOT_FOUND');
    expect(await root.errorCode('mutation($v: String!) { createVault(name: $v, pool: "pool-a") { name } }', { v: vault })).toBe('VAULT_ALREADY_EXISTS');
  });

  it('does not give admins key permissions they were not granted', async () => {
    expect(await admin().errorCode('query($v: String!) { key(vault: $v, name: "k") { kid } }', { v: vault })).toBe('VAULT_NOT_FOUND');
  });

  it('scopes a principal to its granted permissions and vaults', async () => {
    const getter = await principalWith(vault, ['get']);
    await getter.data('query($v: String!) { key(vault: $v, name: "k") { kid } }', { v: vault });
    expect(await getter.errorCode('query($v: String!) { keys(vault: $v) { edges { cursor } } }', { v: vault })).toBe('FORBIDDEN');
    expect(await getter.errorCode('mutation($v: String!) { deleteKey(vault: $v, name: "k") { kid } }', { v: vault })).toBe('FORBIDDEN');
  });
});
