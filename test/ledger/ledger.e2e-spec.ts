import { Client } from 'pg';
import { canonicalEntry, chainHash, GENESIS_HASH, LedgerRow, toEntry, verifyChain } from '@keybridge/ledger';
import { adminDatabase, createKey, GatewayClient, ledgerRows, principalWith, vaultWithOwner } from '@keybridge/testing';

const WRAP = 'mutation($k: KeyRefInput!, $v: String!) { wrapKey(key: $k, algorithm: "CKM_AES_KEY_WRAP_PAD", value: $v) { value } }';

describe('ledger', () => {
  let db: Client;
  let vault: string;
  let owner: GatewayClient;

  beforeAll(async () => {
    db = await adminDatabase();
    ({ vault, owner } = await vaultWithOwner('pool-a', 'ledger'));
    await createKey(owner, { vault, name: 'aes', kty: 'oct' });
  });

  afterAll(() => db.end());

  it('records allowed, denied and failed calls with principal, key, version and error code', async () => {
    const reader = await principalWith(vault, ['get']);
    const before = (await ledgerRows(db, vault)).length;
    await owner.data(WRAP, { k: { vault, name: 'aes' }, v: Buffer.alloc(16, 1).toString('base64url') });
    expect(await reader.errorCode(WRAP, { k: { vault, name: 'aes' }, v: 'AAAA' })).toBe('FORBIDDEN');
    expect(await owner.errorCode(WRAP, { k: { vault, name: 'aes', version: '9' }, v: 'AAAA' })).toBe('KEY_VERSION_NOT_FOUND');
    const rows = (await ledgerRows(db, vault)).slice(before);
    expect(rows.map((r) => [r.operation, r.outcome, r.key_name, r.key_version, r.error_code])).toEqual([
      ['wrapKey', 'success', 'aes', 1, null],
      ['wrapKey', 'denied', 'aes', null, 'FORBIDDEN'],
      ['wrapKey', 'failed', 'aes', null, 'KEY_VERSION_NOT_FOUND'],
    ]);
    expect(rows[0].principal_id).not.toBe(rows[1].principal_id);
  });

  it('keeps one hash chain over canonical JSON that verifies from genesis', async () => {
    const { rows } = await db.query<LedgerRow>('SELECT * FROM ledger_entries ORDER BY seq');
    const entries = rows.map(toEntry);
    expect(entries.length).toBeGreaterThan(3);
    expect(entries[0].prevHash).toEqual(GENESIS_HASH);
    const verdict = verifyChain(entries);
    expect(verdict).toEqual({ ok: true, checked: entries.length });
    // the same hash recomputed by hand for one entry
    const e = entries[entries.length - 1];
    expect(chainHash(e.prevHash, canonicalEntry(e.seq, e.recordedAt, e))).toEqual(e.entryHash);
    // a changed field is caught
    const forged = entries.map((x) => (x.seq === 2 ? { ...x, outcome: 'success' as const, operation: 'forged' } : x));
    expect(verifyChain(forged)).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  it.each([
    ['UPDATE', 'UPDATE ledger_entries SET outcome = $$success$$ WHERE seq = 1'],
    ['DELETE', 'DELETE FROM ledger_entries WHERE seq = 1'],
    ['TRUNCATE', 'TRUNCATE ledger_entries'],
  ])('refuses %s even for a superuser (trigger)', async (_op, sql) => {
    await expect(db.query(sql)).rejects.toThrow(/append-only/);
  });

  it.each([
    ['UPDATE', 'UPDATE ledger_queue SET outcome = $$success$$'],
    ['DELETE', 'DELETE FROM ledger_queue'],
    ['TRUNCATE', 'TRUNCATE ledger_queue'],
  ])('refuses %s of the ledger queue even for a superuser: entries leave it only into the chain', async (_op, sql) => {
    await expect(db.query(sql)).rejects.toThrow(/ledger_queue: (UPDATE|DELETE|TRUNCATE) refused/);
  });

  it('lets the application role read the chain and queue entries, nothing more; only the integrator writes the chain', async () => {
    const grants = async (table: string): Promise<string[]> =>
      (
        await db.query<{ privilege_type: string }>(
          `SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = 'keybridge_app' AND table_name = $1 ORDER BY 1`,
          [table],
        )
      ).rows.map((r) => r.privilege_type);
    expect(await grants('ledger_entries')).toEqual(['SELECT']);
    expect(await grants('ledger_queue')).toEqual(['INSERT', 'SELECT']);
    const owners = await db.query<{ tablename: string; tableowner: string }>(
      `SELECT tablename, tableowner FROM pg_tables WHERE tablename IN ('ledger_entries', 'ledger_queue') ORDER BY 1`,
    );
    expect(owners.rows).toEqual([
      { tablename: 'ledger_entries', tableowner: 'keybridge_ledger_owner' },
      { tablename: 'ledger_queue', tableowner: 'keybridge_ledger_owner' },
    ]);
    const integrate = await db.query<{ prosecdef: boolean; owner: string }>(
      `SELECT p.prosecdef, r.rolname AS owner FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE p.proname = 'ledger_integrate'`,
    );
    expect(integrate.rows).toEqual([{ prosecdef: true, owner: 'keybridge_ledger_owner' }]);
  });

  it('fails closed: when the ledger refuses the entry, the caller gets LEDGER_UNAVAILABLE and no result', async () => {
    const blocked = await vaultWithOwner('pool-a', 'blocked');
    await createKey(blocked.owner, { vault: blocked.vault, name: 'aes', kty: 'oct' });
    const fn = `refuse_${blocked.vault.replace(/-/g, '_')}`;
    // Makes the ledger unwritable for this vault only, so concurrent test files are unaffected.
    await db.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.vault = '${blocked.vault}' THEN RAISE EXCEPTION 'ledger unwritable (test)'; END IF; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON ledger_queue FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    try {
      const result = await blocked.owner.request<{ wrapKey: { value: string } }>(WRAP, {
        k: { vault: blocked.vault, name: 'aes' },
        v: Buffer.alloc(16, 2).toString('base64url'),
      });
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0].extensions?.code).toBe('LEDGER_UNAVAILABLE');
      expect(JSON.stringify(result)).not.toContain(Buffer.alloc(16, 2).toString('base64url'));
      // a state change is rolled back with its entry: the key is not created
      const create = await blocked.owner.request('mutation($v: String!) { createKey(input: { vault: $v, name: "nope", kty: "oct" }) { kid } }', {
        v: blocked.vault,
      });
      expect(create.errors?.[0].extensions?.code).toBe('LEDGER_UNAVAILABLE');
      const keys = await db.query(`SELECT k.name FROM keys k JOIN vaults v ON v.id = k.vault_id WHERE v.name = $1 ORDER BY 1`, [blocked.vault]);
      expect(keys.rows.map((r: { name: string }) => r.name)).toEqual(['aes']);
    } finally {
      await db.query(`DROP TRIGGER ${fn} ON ledger_queue`);
      await db.query(`DROP FUNCTION ${fn}()`);
    }
    // and works again once the ledger accepts entries
    await blocked.owner.data(WRAP, { k: { vault: blocked.vault, name: 'aes' }, v: Buffer.alloc(16, 3).toString('base64url') });
  });
});
