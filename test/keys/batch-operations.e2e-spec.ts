import { createHash, createPublicKey, JsonWebKey, randomBytes, verify } from 'node:crypto';
import { Client } from 'pg';
import { adminDatabase, createKey, GatewayClient, KeyResult, principalWith, vaultWithOwner } from '@keybridge/testing';

const b64u = (b: Buffer): string => b.toString('base64url');
const ITEM = 'index value iv tag valid error { code message }';
const WRAP_KEYS = `mutation($k: KeyRefInput!, $a: String!, $v: [String!]!) { wrapKeys(key: $k, algorithm: $a, values: $v) { kid algorithm items { ${ITEM} } } }`;
const UNWRAP_KEYS = `mutation($k: KeyRefInput!, $a: String!, $v: [String!]!) { unwrapKeys(key: $k, algorithm: $a, values: $v) { kid items { ${ITEM} } } }`;
const ENCRYPT_BATCH = `mutation($k: KeyRefInput!, $a: String!, $i: [EncryptItemInput!]!) { encryptBatch(key: $k, algorithm: $a, items: $i) { kid items { ${ITEM} } } }`;
const DECRYPT_BATCH = `mutation($k: KeyRefInput!, $a: String!, $i: [DecryptItemInput!]!) { decryptBatch(key: $k, algorithm: $a, items: $i) { kid items { ${ITEM} } } }`;
const SIGN_BATCH = `mutation($k: KeyRefInput!, $a: String!, $d: [String!]!) { signBatch(key: $k, algorithm: $a, digests: $d) { kid items { ${ITEM} } } }`;
const VERIFY_BATCH = `mutation($k: KeyRefInput!, $a: String!, $i: [VerifyItemInput!]!) { verifyBatch(key: $k, algorithm: $a, items: $i) { kid items { ${ITEM} } } }`;

interface Item {
  index: number;
  value: string | null;
  iv: string | null;
  tag: string | null;
  valid: boolean | null;
  error: { code: string; message: string } | null;
}
interface Batch {
  kid: string;
  algorithm: string;
  items: Item[];
}

describe.each(['pool-a', 'pool-n'])('batch operations through the gateway (%s)', (pool) => {
  let vault: string;
  let owner: GatewayClient;
  let db: Client;
  const keys: Record<string, KeyResult> = {};

  beforeAll(async () => {
    ({ vault, owner } = await vaultWithOwner(pool, 'batch'));
    db = await adminDatabase();
    keys.aes = await createKey(owner, { vault, name: 'aes', kty: 'oct', size: 256 });
    keys.p256 = await createKey(owner, { vault, name: 'p256', kty: 'EC', curve: 'P-256' });
  });

  afterAll(() => db.end());

  /** The ledger entries of this vault written by one request (the gateway's request id of the last call). */
  async function entriesOf(requestId: string): Promise<Array<{ operation: string; outcome: string; error_code: string | null; index: number }>> {
    const { rows } = await db.query<{ operation: string; outcome: string; error_code: string | null; index: string }>(
      `SELECT operation, outcome, error_code, details->>'batchIndex' AS index FROM ledger_entries WHERE request_id = $1 ORDER BY (details->>'batchIndex')::int`,
      [requestId],
    );
    return rows.map((r) => ({ ...r, index: Number(r.index) }));
  }

  async function batch(query: string, variables: Record<string, unknown>, requestId = `batch-${randomBytes(6).toString('hex')}`) {
    const result = await owner.request<Record<string, Batch>>(query, variables, { 'x-request-id': requestId });
    return { result, requestId };
  }

  it('wrapKeys and unwrapKeys: per-item results in request order, a bad item fails alone, one ledger entry per item', async () => {
    const values = [randomBytes(32), randomBytes(24), randomBytes(32)].map(b64u);
    const { result, requestId } = await batch(WRAP_KEYS, { k: { vault, name: 'aes' }, a: 'CKM_AES_KEY_WRAP_PAD', v: [values[0], 'not base64!', values[1], values[2]] });
    const wrapped = result.data?.wrapKeys as Batch;
    expect(wrapped.kid).toBe(keys.aes.kid);
    expect(wrapped.items.map((i) => i.index)).toEqual([0, 1, 2, 3]);
    expect(wrapped.items[1]).toMatchObject({ value: null, error: { code: 'INVALID_ARGUMENT' } });
    for (const i of [0, 2, 3]) expect(wrapped.items[i]).toMatchObject({ error: null, value: expect.any(String) });
    expect(await entriesOf(requestId)).toEqual([
      { operation: 'wrapKey', outcome: 'success', error_code: null, index: 0 },
      { operation: 'wrapKey', outcome: 'failed', error_code: 'INVALID_ARGUMENT', index: 1 },
      { operation: 'wrapKey', outcome: 'success', error_code: null, index: 2 },
      { operation: 'wrapKey', outcome: 'success', error_code: null, index: 3 },
    ]);

    const tampered = Buffer.from(wrapped.items[0].value as string, 'base64url');
    tampered[3] ^= 1;
    const back = await batch(UNWRAP_KEYS, {
      k: { vault, name: 'aes' },
      a: 'CKM_AES_KEY_WRAP_PAD',
      v: [wrapped.items[2].value, b64u(tampered), wrapped.items[0].value, wrapped.items[3].value],
    });
    const items = (back.result.data?.unwrapKeys as Batch).items;
    expect(items.map((i) => i.value)).toEqual([values[1], null, values[0], values[2]]);
    expect(items[1].error?.code).toBe('DECRYPTION_FAILED');
  });

  it('encryptBatch and decryptBatch with AES-GCM round-trip; an item with a wrong iv length fails alone', async () => {
    const plain = [randomBytes(10), randomBytes(100)].map(b64u);
    const enc = (await batch(ENCRYPT_BATCH, { k: { vault, name: 'aes' }, a: 'A256GCM', i: [{ plaintext: plain[0], aad: 'aGRy' }, { plaintext: plain[1], iv: b64u(randomBytes(8)) }, { plaintext: plain[1] }] })).result.data
      ?.encryptBatch as Batch;
    expect(enc.items[1].error?.code).toBe('INVALID_ARGUMENT');
    const [a, , c] = enc.items;
    const dec = (await batch(DECRYPT_BATCH, {
      k: { vault, name: 'aes' },
      a: 'A256GCM',
      i: [
        { ciphertext: c.value, iv: c.iv, tag: c.tag },
        { ciphertext: a.value, iv: a.iv, tag: a.tag, aad: 'aGRy' },
        { ciphertext: a.value, iv: a.iv, tag: a.tag, aad: 'b3RoZXI' },
      ],
    })).result.data?.decryptBatch as Batch;
    expect(dec.items.map((i) => i.value)).toEqual([plain[1], plain[0], null]);
    expect(dec.items[2].error?.code).toBe('DECRYPTION_FAILED');
  });

  it('signBatch signatures verify with node:crypto; verifyBatch agrees and spots a tampered one', async () => {
    const messages = [randomBytes(50), randomBytes(60), randomBytes(70)];
    const digests = messages.map((m) => createHash('sha256').update(m).digest());
    const signed = (await batch(SIGN_BATCH, { k: { vault, name: 'p256' }, a: 'ES256', d: [...digests.map(b64u), b64u(randomBytes(20))] })).result.data?.signBatch as Batch;
    expect(signed.items[3].error?.code).toBe('INVALID_ARGUMENT');
    const { kid: _kid, key_ops: _ops, ...jwk } = Object.fromEntries(Object.entries(keys.p256.jwk).filter(([, v]) => v !== null)) as Record<string, string>;
    const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    for (const [i, m] of messages.entries()) {
      expect(verify('sha256', m, { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signed.items[i].value as string, 'base64url'))).toBe(true);
    }
    const bad = Buffer.from(signed.items[1].value as string, 'base64url');
    bad[7] ^= 1;
    const verified = (await batch(VERIFY_BATCH, {
      k: { vault, name: 'p256' },
      a: 'ES256',
      i: [
        { digest: b64u(digests[0]), signature: signed.items[0].value },
        { digest: b64u(digests[1]), signature: b64u(bad) },
      ],
    })).result.data?.verifyBatch as Batch;
    expect(verified.items.map((i) => i.valid)).toEqual([true, false]);
  });

  it('a caller without the permission gets the typed error for the call, and every item is recorded as denied', async () => {
    const reader = await principalWith(vault, ['get']);
    const requestId = `batch-denied-${randomBytes(4).toString('hex')}`;
    const result = await reader.request(WRAP_KEYS, { k: { vault, name: 'aes' }, a: 'A256KW', v: [b64u(randomBytes(16)), b64u(randomBytes(16))] }, { 'x-request-id': requestId });
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(result.data ?? null).toBeNull();
    expect((await entriesOf(requestId)).map((e) => [e.outcome, e.error_code])).toEqual([
      ['denied', 'FORBIDDEN'],
      ['denied', 'FORBIDDEN'],
    ]);
  });

  it.each([
    ['no items', [] as string[]],
    ['1,001 items', Array.from({ length: 1001 }, () => 'AAAAAAAAAAAAAAAAAAAAAA')],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, values) => {
    const result = await owner.request(WRAP_KEYS, { k: { vault, name: 'aes' }, a: 'A256KW', v: values });
    expect(result.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
  });

  it('fails closed per item: an item whose ledger entry cannot be written returns LEDGER_UNAVAILABLE, not its result', async () => {
    const fn = `refuse_batch_${randomBytes(4).toString('hex')}`;
    const requestId = `batch-fc-${randomBytes(4).toString('hex')}`;
    await db.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.request_id = '${requestId}' AND NEW.details->>'batchIndex' = '1' THEN RAISE EXCEPTION 'ledger unwritable (test)'; END IF; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER ${fn} BEFORE INSERT ON ledger_queue FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    const secret = randomBytes(32);
    try {
      const { result } = await batch(WRAP_KEYS, { k: { vault, name: 'aes' }, a: 'CKM_AES_KEY_WRAP_PAD', v: [b64u(randomBytes(32)), b64u(secret), b64u(randomBytes(32))] }, requestId);
      const items = (result.data?.wrapKeys as Batch).items;
      expect(items.map((i) => i.error?.code ?? 'OK')).toEqual(['OK', 'LEDGER_UNAVAILABLE', 'OK']);
      expect(items[1].value).toBeNull();
    } finally {
      await db.query(`DROP TRIGGER ${fn} ON ledger_queue`);
      await db.query(`DROP FUNCTION ${fn}()`);
    }
    expect((await entriesOf(requestId)).map((e) => e.index)).toEqual([0, 2]);
  });
});
