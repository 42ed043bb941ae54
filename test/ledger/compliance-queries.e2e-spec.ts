import { Client } from 'pg';
import { adminDatabase, admin, createKey, GatewayClient, principalWith, requireEnv, vaultWithOwner } from '@keybridge/testing';

const WRAP = 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }';
const ENCRYPT = 'mutation($k: KeyRefInput!) { encrypt(key: $k, algorithm: "A256GCM", plaintext: "aGVsbG8") { value } }';
const ENTRIES = `query($f: AuditFilterInput, $first: Int, $after: String) {
  auditEntries(filter: $f, first: $first, after: $after) {
    edges { cursor node { seq vault keyName keyVersion kid operation outcome errorCode principalId requestId details entryHash } }
    pageInfo { hasNextPage endCursor } } }`;
const HISTORY = `query($k: String!, $first: Int, $after: String) {
  keyAccessHistory(keyId: $k, first: $first, after: $after) { edges { node { seq vault keyName operation } } pageInfo { hasNextPage endCursor } } }`;

interface Node {
  seq: number;
  vault: string | null;
  keyName: string | null;
  keyVersion: number | null;
  kid: string | null;
  operation: string;
  outcome: string;
  errorCode: string | null;
  principalId: string | null;
}

interface Connection {
  edges: Array<{ cursor: string; node: Node }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('compliance queries', () => {
  let db: Client;
  let auditor: GatewayClient;
  let a: { vault: string; owner: GatewayClient };
  let b: { vault: string; owner: GatewayClient };
  let ownerA: string;
  let reader: GatewayClient;
  let readerId: string;
  let startedAt: Date;

  const wrap = (c: GatewayClient, vault: string, name: string): Promise<unknown> => c.data(WRAP, { k: { vault, name }, v: Buffer.alloc(16, 5).toString('base64url') });
  const entries = async (filter: Record<string, unknown>, first = 100, after: string | null = null): Promise<Connection> =>
    (await auditor.data<{ auditEntries: Connection }>(ENTRIES, { f: filter, first, after })).auditEntries;
  const dbSeqs = async (sql: string, params: unknown[]): Promise<number[]> => (await db.query<{ seq: string }>(sql, params)).rows.map((r) => Number(r.seq));

  beforeAll(async () => {
    db = await adminDatabase();
    // an auditor principal that holds auditRead only
    const root = admin();
    const name = `auditor-${Date.now().toString(36)}`;
    await root.data('mutation($n: String!) { createPrincipal(name: $n, globalPermissions: [auditRead]) { id } }', { n: name });
    const { createApiToken } = await root.data<{ createApiToken: { token: string } }>('mutation($n: String!) { createApiToken(principal: $n) { token } }', { n: name });
    auditor = new GatewayClient(createApiToken.token);

    a = await vaultWithOwner('pool-a', 'audit-a');
    b = await vaultWithOwner('pool-b', 'audit-b');
    ownerA = (await a.owner.data<{ me: { id: string } }>('{ me { id } }')).me.id;
    reader = await principalWith(a.vault, ['get']);
    readerId = (await reader.data<{ me: { id: string } }>('{ me { id } }')).me.id;
    await createKey(a.owner, { vault: a.vault, name: 'k1', kty: 'oct' });
    await createKey(a.owner, { vault: a.vault, name: 'k2', kty: 'oct' });
    await createKey(b.owner, { vault: b.vault, name: 'k1', kty: 'oct' });
    for (let i = 0; i < 5; i++) await wrap(a.owner, a.vault, 'k1');
    for (let i = 0; i < 3; i++) await a.owner.data(ENCRYPT, { k: { vault: a.vault, name: 'k2' } });
    for (let i = 0; i < 4; i++) await wrap(b.owner, b.vault, 'k1');
    expect(await reader.errorCode(WRAP, { k: { vault: a.vault, name: 'k1' }, v: 'AAAA' })).toBe('FORBIDDEN');
    expect(await a.owner.errorCode(WRAP, { k: { vault: a.vault, name: 'k1', version: '9' }, v: 'AAAA' })).toBe('KEY_VERSION_NOT_FOUND');
    startedAt = new Date();
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 2; i++) await wrap(a.owner, a.vault, 'k1');
  });

  afterAll(() => db.end());

  it('filters by vault, key, operation, outcome and principal, in seq order', async () => {
    const inA = await entries({ vaults: [a.vault] });
    const expectedA = await dbSeqs('SELECT seq FROM ledger_entries WHERE vault = $1 ORDER BY seq', [a.vault]);
    expect(inA.edges.map((e) => e.node.seq)).toEqual(expectedA);
    // 2 createKey + 5+2 wraps + 3 encrypts + the denied and the failed wrap (grants are recorded with the vault too)
    expect(inA.edges.filter((e) => e.node.operation !== 'setGrant' && e.node.operation !== 'createVault')).toHaveLength(14);

    const k1 = await entries({ keys: [`/vaults/${a.vault}/keys/k1`] });
    expect(k1.edges.map((e) => [e.node.operation, e.node.outcome])).toEqual([
      ['createKey', 'success'],
      ...Array(5).fill(['wrapKey', 'success']),
      ['wrapKey', 'denied'],
      ['wrapKey', 'failed'],
      ['wrapKey', 'success'],
      ['wrapKey', 'success'],
    ]);
    expect(k1.edges[1].node.kid).toBe(`/vaults/${a.vault}/keys/k1/1`);

    const denied = await entries({ vaults: [a.vault, b.vault], operations: ['wrapKey'], outcomes: ['denied', 'failed'] });
    expect(denied.edges.map((e) => [e.node.outcome, e.node.errorCode, e.node.principalId])).toEqual([
      ['denied', 'FORBIDDEN', readerId],
      ['failed', 'KEY_VERSION_NOT_FOUND', ownerA],
    ]);

    const byPrincipal = await entries({ principals: [ownerA], operations: ['encrypt'] });
    expect(byPrincipal.edges).toHaveLength(3);
    expect(byPrincipal.edges.every((e) => e.node.keyName === 'k2' && e.node.vault === a.vault)).toBe(true);

    const both = await entries({ keys: [`/vaults/${a.vault}/keys/k1`, `/vaults/${b.vault}/keys/k1`], operations: ['wrapKey'], outcomes: ['success'] });
    expect(both.edges).toHaveLength(11);
    const seqs = both.edges.map((e) => e.node.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));

    const later = await entries({ vaults: [a.vault], from: startedAt.toISOString() });
    expect(later.edges.map((e) => e.node.operation)).toEqual(['wrapKey', 'wrapKey']);
    const earlier = await entries({ vaults: [a.vault], to: startedAt.toISOString(), operations: ['wrapKey'] });
    expect(earlier.edges).toHaveLength(7);

    expect((await entries({ traceId: '0123456789abcdef0123456789abcdef' })).edges).toEqual([]);
  });

  it('pages stay stable while new entries arrive', async () => {
    const filter = { vaults: [a.vault] };
    const seen: number[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Connection = await entries(filter, 3, after);
      seen.push(...page.edges.map((e) => e.node.seq));
      pages += 1;
      // entries arrive between the pages: some for this vault, some elsewhere
      if (pages <= 4) {
        await wrap(a.owner, a.vault, 'k1');
        await wrap(b.owner, b.vault, 'k1');
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBeGreaterThan(4);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen).toEqual(await dbSeqs('SELECT seq FROM ledger_entries WHERE vault = $1 ORDER BY seq', [a.vault]));
  });

  it('keyAccessHistory follows the key id (with or without a version) in seq order', async () => {
    const kid = `/vaults/${a.vault}/keys/k1`;
    const expected = await dbSeqs('SELECT seq FROM ledger_entries WHERE vault = $1 AND key_name = $2 ORDER BY seq', [a.vault, 'k1']);
    const collected: number[] = [];
    let after: string | null = null;
    for (;;) {
      const { keyAccessHistory: page }: { keyAccessHistory: Connection } = await auditor.data(HISTORY, { k: `${kid}/1`, first: 4, after });
      collected.push(...page.edges.map((e) => e.node.seq));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(collected).toEqual(expected);
    const { keyAccessHistory: other } = await auditor.data<{ keyAccessHistory: Connection }>(HISTORY, { k: `/vaults/${b.vault}/keys/k1` });
    expect(other.edges.every((e) => e.node.vault === b.vault && e.node.keyName === 'k1')).toBe(true);
  });

  it('auditSummary counts per operation, outcome, key, principal and day', async () => {
    const summary = async (groupBy: string, filter: Record<string, unknown>): Promise<Record<string, number>> => {
      const { auditSummary } = await auditor.data<{ auditSummary: Array<{ key: string | null; count: number }> }>(
        'query($g: AuditGroupBy!, $f: AuditFilterInput) { auditSummary(groupBy: $g, filter: $f) { key count } }',
        { g: groupBy, f: filter },
      );
      return Object.fromEntries(auditSummary.map((r) => [r.key ?? '(none)', r.count]));
    };
    const filter = { vaults: [a.vault], operations: ['wrapKey', 'encrypt'] };
    const { rows } = await db.query<{ operation: string; n: string }>(
      `SELECT operation, count(*) AS n FROM ledger_entries WHERE vault = $1 AND operation IN ('wrapKey', 'encrypt') GROUP BY 1`,
      [a.vault],
    );
    expect(await summary('OPERATION', filter)).toEqual(Object.fromEntries(rows.map((r) => [r.operation, Number(r.n)])));
    const outcomes = await summary('OUTCOME', filter);
    const all = rows.reduce((n, r) => n + Number(r.n), 0);
    expect(outcomes).toEqual({ success: all - 2, denied: 1, failed: 1 });
    const keys = await summary('KEY', { vaults: [a.vault], operations: ['encrypt'] });
    expect(keys).toEqual({ [`/vaults/${a.vault}/keys/k2`]: 3 });
    const principals = await summary('PRINCIPAL', { vaults: [a.vault], outcomes: ['denied'] });
    expect(principals).toEqual({ [readerId]: 1 });
    const days = await summary('DAY', filter);
    const total = Object.values(outcomes).reduce((n, c) => n + c, 0);
    expect(Object.values(days).reduce((n, c) => n + c, 0)).toBe(total);
    expect(Object.keys(days).every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))).toBe(true);
  });

  it.each([
    ['a cursor that is not ours', { after: 'bm9wZQ' }, 'INVALID_ARGUMENT'],
    ['first 0', { first: 0 }, 'INVALID_ARGUMENT'],
    ['first above the maximum', { first: 501 }, 'INVALID_ARGUMENT'],
    ['an empty list', { f: { vaults: [] } }, 'INVALID_ARGUMENT'],
    ['a key that is not a key id', { f: { keys: ['k1'] } }, 'INVALID_ARGUMENT'],
    ['a malformed trace id', { f: { traceId: 'xyz' } }, 'INVALID_ARGUMENT'],
    ['from after to', { f: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }, 'INVALID_ARGUMENT'],
    ['too many values', { f: { operations: Array.from({ length: 51 }, (_, i) => `op${i}`) } }, 'INVALID_ARGUMENT'],
  ])('auditEntries refuses %s', async (_name, variables, code) => {
    expect(await auditor.errorCode(ENTRIES, { f: null, first: 10, after: null, ...variables })).toBe(code);
  });

  it.each([
    ['not a key id', 'payments/kek'],
    ['a bad vault name', '/vaults/UPPER/keys/k'],
  ])('keyAccessHistory refuses %s', async (_name, keyId) => {
    expect(await auditor.errorCode(HISTORY, { k: keyId })).toBe('INVALID_ARGUMENT');
  });

  it('needs auditRead (FORBIDDEN otherwise) and records each denial', async () => {
    const calls: Array<[string, string, Record<string, unknown>]> = [
      ['auditEntries', ENTRIES, { f: { vaults: [a.vault] } }],
      ['auditSummary', '{ auditSummary(groupBy: OPERATION) { key count } }', {}],
      ['keyAccessHistory', HISTORY, { k: `/vaults/${a.vault}/keys/k1` }],
    ];
    // the vault owner holds every vault permission but not auditRead
    const before = await dbSeqs('SELECT seq FROM ledger_entries WHERE principal_id = $1 ORDER BY seq DESC LIMIT 1', [ownerA]);
    for (const [, query, variables] of calls) expect(await a.owner.errorCode(query, variables)).toBe('FORBIDDEN');
    const { rows } = await db.query<{ operation: string; outcome: string; error_code: string }>(
      'SELECT operation, outcome, error_code FROM ledger_entries WHERE principal_id = $1 AND seq > $2 ORDER BY seq',
      [ownerA, before[0] ?? 0],
    );
    expect(rows).toEqual(calls.map(([operation]) => ({ operation, outcome: 'denied', error_code: 'FORBIDDEN' })));
    // and reading the audit log is itself audited
    const { rows: reads } = await db.query(`SELECT 1 FROM ledger_entries WHERE operation = 'auditEntries' AND outcome = 'success' LIMIT 1`);
    expect(reads).toHaveLength(1);
  });

  it('GET /ledger/export streams NDJSON for auditRead (or admin), 401 without a token, 403 (recorded) without the permission', async () => {
    const url = `${requireEnv('KEYBRIDGE_GATEWAY_URL')}/ledger/export`;
    expect((await fetch(url)).status).toBe(401);
    const forbidden = await fetch(url, { headers: { authorization: `Bearer ${a.owner.token}` } });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'missing permission auditRead' } });
    expect((await fetch(`${url}?from=abc`, { headers: { authorization: `Bearer ${auditor.token}` } })).status).toBe(400);
    const denied = await db.query(`SELECT 1 FROM ledger_entries WHERE principal_id = $1 AND operation = 'exportLedger' AND outcome = 'denied'`, [ownerA]);
    expect(denied.rows).toHaveLength(1);

    const response = await fetch(`${url}?from=2&to=6`, { headers: { authorization: `Bearer ${auditor.token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as { format?: string; seq?: number; entryHash?: string });
    expect(lines[0]).toMatchObject({ format: 'keybridge.ledger.export.v1', from: 2, to: 6 });
    expect(lines.slice(1).map((l) => l.seq)).toEqual([2, 3, 4, 5, 6]);
    const stored = await db.query<{ entry_hash: Buffer }>('SELECT entry_hash FROM ledger_entries WHERE seq BETWEEN 2 AND 6 ORDER BY seq');
    expect(lines.slice(1).map((l) => l.entryHash)).toEqual(stored.rows.map((r) => r.entry_hash.toString('hex')));
  });
});
