import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { waitForIntegration } from '@keybridge/ledger';

/** Set-up calls of the bench (not measured): plain fetch against the gateway. */
export class Gql {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async data<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as { data?: T; errors?: unknown[] };
    if (result.errors?.length || !result.data) throw new Error(`GraphQL set-up call failed: ${JSON.stringify(result.errors ?? result)}`);
    return result.data;
  }
}

export interface BenchKey {
  name: string;
  kid: string;
  objectId: string;
  jwk: Record<string, string> | null;
}

export interface BenchFixture {
  vault: string;
  principal: string;
  token: string;
  aes?: BenchKey;
  rsa?: BenchKey;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the bench through \`npm run bench\` (ops/local/bench.sh), or source a keybridge.env`);
  return value;
}

export function adminToken(): string {
  return readFileSync(requireEnv('KEYBRIDGE_ADMIN_TOKEN_FILE'), 'utf8').trim();
}

const KEY_FIELDS = 'kid name jwk { kty n e }';

/**
 * A fresh vault on the pool, a principal holding only what the bench needs (create, get, wrapKey, unwrapKey, and
 * `morePermissions`) and an API token, an AES-256 key and (if wanted) an RSA-3072 key, all through the API with the
 * admin token.
 */
export async function createFixture(graphqlUrl: string, pool: string, withRsa: boolean, morePermissions: string[] = []): Promise<BenchFixture> {
  const admin = new Gql(graphqlUrl, adminToken());
  const suffix = randomBytes(4).toString('hex');
  const vault = `bench-${suffix}`;
  const principal = `bench-${suffix}`;
  await admin.data('mutation($n: String!, $p: String!) { createVault(name: $n, pool: $p) { name } }', { n: vault, p: pool });
  await admin.data('mutation($n: String!) { createPrincipal(name: $n) { id } }', { n: principal });
  const { createApiToken } = await admin.data<{ createApiToken: { token: string } }>(
    'mutation($n: String!, $l: String) { createApiToken(principal: $n, label: $l) { token } }',
    { n: principal, l: 'npm run bench' },
  );
  await admin.data('mutation($p: String!, $v: String!, $perms: [Permission!]!) { setGrant(principal: $p, vault: $v, permissions: $perms) { vault } }', {
    p: principal,
    v: vault,
    perms: ['get', 'create', 'wrapKey', 'unwrapKey', ...morePermissions],
  });
  const owner = new Gql(graphqlUrl, createApiToken.token);
  const create = async (input: Record<string, unknown>): Promise<{ kid: string; name: string; jwk: Record<string, string | null> }> =>
    (await owner.data<{ createKey: { kid: string; name: string; jwk: Record<string, string | null> } }>(
      `mutation($i: CreateKeyInput!) { createKey(input: $i) { ${KEY_FIELDS} } }`,
      { i: input },
    )).createKey;
  const fixture: BenchFixture = { vault, principal, token: createApiToken.token };
  const aes = await create({ vault, name: 'kwp', kty: 'oct', size: 256, keyOps: ['wrapKey', 'unwrapKey'] });
  fixture.aes = { name: aes.name, kid: aes.kid, objectId: '', jwk: null };
  if (withRsa) {
    const rsa = await create({ vault, name: 'rsa', kty: 'RSA', size: 3072, keyOps: ['wrapKey', 'unwrapKey'] });
    const jwk = Object.fromEntries(Object.entries(rsa.jwk).filter(([, v]) => v !== null)) as Record<string, string>;
    fixture.rsa = { name: rsa.name, kid: rsa.kid, objectId: '', jwk };
  }
  return fixture;
}

/** The HSM CKA_IDs of the fixture's keys (version 1), so the raw baseline uses the very same objects. */
export async function resolveObjectIds(db: Client, fixture: BenchFixture): Promise<void> {
  for (const key of [fixture.aes, fixture.rsa]) {
    if (!key) continue;
    const { rows } = await db.query<{ hsm_object_id: string }>(
      `SELECT kv.hsm_object_id FROM key_versions kv JOIN keys k ON k.id = kv.key_id JOIN vaults v ON v.id = k.vault_id
        WHERE v.name = $1 AND k.name = $2 AND kv.version = 1`,
      [fixture.vault, key.name],
    );
    if (rows.length !== 1) throw new Error(`no key_versions row for ${fixture.vault}/${key.name}`);
    key.objectId = rows[0].hsm_object_id;
  }
}

export interface LedgerCount {
  success: number;
  denied: number;
  failed: number;
  total: number;
}

/** The chain's head once every entry committed so far is integrated into it. */
export async function ledgerHead(db: Client): Promise<number> {
  await waitForIntegration(rowsOf(db));
  const { rows } = await db.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM ledger_entries');
  return Number(rows[0].seq ?? 0);
}

/** Ledger entries of one operation on the vault after `afterSeq`. */
export async function ledgerCount(db: Client, vault: string, operation: string, afterSeq: number): Promise<LedgerCount> {
  await waitForIntegration(rowsOf(db));
  const { rows } = await db.query<{ outcome: string; n: string }>(
    'SELECT outcome, count(*) AS n FROM ledger_entries WHERE seq > $1 AND vault = $2 AND operation = $3 GROUP BY outcome',
    [afterSeq, vault, operation],
  );
  const count: LedgerCount = { success: 0, denied: 0, failed: 0, total: 0 };
  for (const row of rows) {
    const n = Number(row.n);
    if (row.outcome === 'success' || row.outcome === 'denied' || row.outcome === 'failed') count[row.outcome] = n;
    count.total += n;
  }
  return count;
}

/** A pg client as the ledger library's Queryable (rows only). */
export function rowsOf(db: Client): { query(sql: string, params?: unknown[]): Promise<unknown> } {
  return { query: async (sql, params) => (await db.query(sql, params)).rows };
}
