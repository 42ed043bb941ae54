import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { verifyAttestation, wrapForImport } from '@keybridge/byok/formats';
import { GrapheneHsmAdapter } from '@keybridge/hsm';
import { redisConnectionOptions } from '@keybridge/platform';
import { adminDatabase, GatewayClient, principalWith, requireEnv, vaultWithOwner } from '@keybridge/testing';
import { access, cli, createTransportKey, CREATE_TK, importKey, objectsLabelled, pool, TK_FIELDS, TransportKeyResult, usage, Workdir } from './byok-fixtures';
import { Client } from 'pg';
import { Queue, QueueEvents } from 'bullmq';

const TK_ID = (kid: string): string => kid.split('/').pop() as string;

describe.each(['pool-a', 'pool-n'])('transport keys (%s)', (poolName) => {
  let vault: string;
  let owner: GatewayClient;
  let tk: TransportKeyResult;
  let db: Client;

  beforeAll(async () => {
    ({ vault, owner } = await vaultWithOwner(poolName, 'tk'));
    tk = await createTransportKey(owner, vault);
    db = await adminDatabase();
  });
  afterAll(async () => {
    await db.end();
  });

  it('hands out an RSA key for import only, 24 h and single use by default, with the hashes the pool can unwrap', async () => {
    expect(tk.kid).toMatch(new RegExp(`^/vaults/${vault}/transport-keys/[0-9a-f-]{36}$`));
    expect(tk).toMatchObject({ vault, pool: poolName, size: 2048, status: 'active', keyOps: ['import'], maxUses: 1, uses: 0, revokedAt: null, destroyedAt: null });
    expect(tk.oaepHashes).toEqual(poolName === 'pool-a' ? ['SHA-1'] : ['SHA-1', 'SHA-256']);
    const lifetime = Date.parse(tk.expiresAt) - Date.parse(tk.createdAt);
    expect(lifetime).toBe(24 * 3600 * 1000);
    expect(createPublicKey(tk.publicKeyPem).equals(createPublicKey({ key: { kty: 'RSA', n: tk.jwk.n, e: tk.jwk.e }, format: 'jwk' }))).toBe(true);
    expect(tk.jwk).toMatchObject({ kid: tk.kid, kty: 'RSA', key_ops: ['import'] });
  });

  it('is attested by the vault\'s published HSM-resident P-256 key over kid, SPKI, vault, pool and expiry', async () => {
    const { attestationKey } = await owner.data<{ attestationKey: { kid: string; publicKeyPem: string; alg: string; jwk: { crv: string } } }>(
      'query($v: String!) { attestationKey(vault: $v) { kid publicKeyPem alg jwk { crv } } }',
      { v: vault },
    );
    expect(attestationKey).toMatchObject({ kid: tk.attestation.attestationKid, alg: 'ES256', jwk: { crv: 'P-256' } });
    const { claims, transportKey } = verifyAttestation(tk.attestation.payload, tk.attestation.signature, createPublicKey(attestationKey.publicKeyPem), new Date());
    expect(claims).toMatchObject({ format: 'keybridge.byok.transport-key-attestation', version: 1, kid: tk.kid, vault, pool: poolName, expiresAt: tk.expiresAt, maxUses: 1 });
    expect(claims.oaepHashes).toEqual(tk.oaepHashes);
    expect(transportKey.equals(createPublicKey(tk.publicKeyPem))).toBe(true);
    // The next transport key is attested by the same key; a changed payload no longer verifies.
    const second = await createTransportKey(owner, vault, { maxUses: 3 });
    expect(second.attestation.attestationKid).toBe(tk.attestation.attestationKid);
    const forged = second.attestation.payload.replace('"maxUses":3', '"maxUses":9');
    expect(() => verifyAttestation(forged, second.attestation.signature, createPublicKey(attestationKey.publicKeyPem), new Date())).toThrow(/signature/);
    const [row] = (await db.query('SELECT a.hsm_object_id FROM attestation_keys a JOIN vaults v ON v.id = a.vault_id WHERE v.name = $1', [vault])).rows;
    expect(row.hsm_object_id).toMatch(/^[0-9a-f]{32}$/);
    if (poolName === 'pool-a') {
      // pkcs11-tool cannot initialise NSS softokn without its library parameters: SoftHSM pools only.
      expect(objectsLabelled(pool(poolName), `${vault}/attestation`).some((o) => o.startsWith('Private Key Object; EC'))).toBe(true);
    }
  });

  it('is not a key of the vault: not listed, and wrapKey, unwrapKey, sign and encrypt cannot reach it', async () => {
    const { keys } = await owner.data<{ keys: { edges: unknown[] } }>('query($v: String!) { keys(vault: $v) { edges { cursor } } }', { v: vault });
    expect(keys.edges).toHaveLength(0);
    for (const name of [TK_ID(tk.kid), tk.kid]) {
      const key = { vault, name };
      expect(await owner.errorCode('mutation($k: KeyRefInput!) { wrapKey(key: $k, algorithm: "RSA_OAEP", value: "AAECAwQFBgcICQoLDA0ODw") { value } }', { k: key })).toBe('KEY_NOT_FOUND');
      expect(await owner.errorCode('mutation($k: KeyRefInput!, $v: String!) { unwrapKey(key: $k, algorithm: "RSA_OAEP", value: $v) { value } }', { k: key, v: randomBytes(256).toString('base64url') })).toBe('KEY_NOT_FOUND');
      expect(await owner.errorCode('mutation($k: KeyRefInput!) { sign(key: $k, algorithm: "RS256", digest: "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU") { value } }', { k: key })).toBe('KEY_NOT_FOUND');
      expect(await owner.errorCode('mutation($k: KeyRefInput!) { encrypt(key: $k, algorithm: "RSA_OAEP", plaintext: "aGVsbG8") { value } }', { k: key })).toBe('KEY_NOT_FOUND');
    }
  });

  it('its HSM object can only unwrap: decrypt and sign with it straight through the adapter fail; pkcs11-tool sees it sensitive, never extractable', async () => {
    const [row] = (await db.query('SELECT pool, hsm_object_id FROM transport_keys WHERE id = $1', [TK_ID(tk.kid)])).rows;
    const hsm = await GrapheneHsmAdapter.open([pool(poolName)]);
    try {
      const ref = { pool: row.pool, objectId: row.hsm_object_id };
      await expect(hsm.decrypt(ref, { name: 'RSA_OAEP', hash: 'SHA-1' }, randomBytes(256))).rejects.toMatchObject({ code: 'HSM_OPERATION_NOT_PERMITTED' });
      await expect(hsm.sign(ref, { name: 'RSA_PKCS1_SIGN' }, randomBytes(51))).rejects.toMatchObject({ code: 'HSM_OPERATION_NOT_PERMITTED' });
      expect(await hsm.attributes(ref)).toMatchObject({ sensitive: true, extractable: false, neverExtractable: true });
    } finally {
      await hsm.close();
    }
    if (poolName !== 'pool-a') return;
    const privateKey = objectsLabelled(pool(poolName), `${vault}/transport/${TK_ID(tk.kid)}`).find((o) => o.startsWith('Private Key Object; RSA'));
    expect(usage(privateKey)).toEqual(['unwrap']);
    expect(access(privateKey)).toEqual(expect.arrayContaining(['sensitive', 'never extractable']));
    expect(access(privateKey)).not.toContain('extractable');
  });

  it('lists usable keys (all with includeInactive), gets one, revokes one', async () => {
    const revocable = await createTransportKey(owner, vault);
    const list = async (all: boolean) =>
      (await owner.data<{ transportKeys: Array<{ kid: string; status: string }> }>(`query($v: String!, $a: Boolean) { transportKeys(vault: $v, includeInactive: $a) { kid status } }`, { v: vault, a: all }))
        .transportKeys;
    expect((await list(false)).map((k) => k.kid)).toContain(revocable.kid);
    const { revokeTransportKey } = await owner.data<{ revokeTransportKey: TransportKeyResult }>(`mutation($v: String!, $k: String!) { revokeTransportKey(vault: $v, kid: $k) { ${TK_FIELDS} } }`, {
      v: vault,
      k: revocable.kid,
    });
    expect(revokeTransportKey.status).toBe('revoked');
    expect((await list(false)).map((k) => k.kid)).not.toContain(revocable.kid);
    expect(await list(true)).toContainEqual({ kid: revocable.kid, status: 'revoked' });
    const { transportKey } = await owner.data<{ transportKey: TransportKeyResult }>(`query($v: String!, $k: String!) { transportKey(vault: $v, kid: $k) { ${TK_FIELDS} } }`, { v: vault, k: tk.kid });
    expect(transportKey.attestation).toEqual(tk.attestation);
  });

  it.each([
    ['a 1024-bit size', { size: 1024 }, 'INVALID_ARGUMENT'],
    ['a 10-second lifetime', { expiresIn: 10 }, 'INVALID_ARGUMENT'],
    ['a lifetime over 7 days', { expiresIn: 604_801 }, 'INVALID_ARGUMENT'],
    ['zero uses', { maxUses: 0 }, 'INVALID_ARGUMENT'],
  ])('createTransportKey refuses %s', async (_name, input, code) => {
    expect(await owner.errorCode(CREATE_TK, { i: { vault, ...input } })).toBe(code);
  });

  it('needs manageTransportKeys; a principal without a grant does not see the vault; unknown kids are TRANSPORT_KEY_NOT_FOUND', async () => {
    const importer = await principalWith(vault, ['import']);
    expect(await importer.errorCode(CREATE_TK, { i: { vault } })).toBe('FORBIDDEN');
    expect(await importer.errorCode('mutation($v: String!, $k: String!) { revokeTransportKey(vault: $v, kid: $k) { kid } }', { v: vault, k: tk.kid })).toBe('FORBIDDEN');
    const { transportKey } = await importer.data<{ transportKey: { kid: string } }>('query($v: String!, $k: String!) { transportKey(vault: $v, kid: $k) { kid } }', { v: vault, k: tk.kid });
    expect(transportKey.kid).toBe(tk.kid);
    const stranger = await principalWith(vault, []);
    expect(await stranger.errorCode(CREATE_TK, { i: { vault } })).toBe('VAULT_NOT_FOUND');
    const unknown = `/vaults/${vault}/transport-keys/00000000-0000-4000-8000-000000000000`;
    expect(await owner.errorCode('query($v: String!, $k: String!) { transportKey(vault: $v, kid: $k) { kid } }', { v: vault, k: unknown })).toBe('TRANSPORT_KEY_NOT_FOUND');
  });
});

describe('transport key lifecycle on pool-a: RSA-4096, the cleanup job, the CLI\'s attestation checks', () => {
  let vault: string;
  let owner: GatewayClient;
  let db: Client;
  const work = new Workdir();

  beforeAll(async () => {
    ({ vault, owner } = await vaultWithOwner('pool-a', 'tk-life'));
    db = await adminDatabase();
  });
  afterAll(async () => {
    await db.end();
    work.done();
  });

  it('an RSA-4096 transport key imports an AES key', async () => {
    const tk4096 = await createTransportKey(owner, vault, { size: 4096 });
    expect(tk4096.size).toBe(4096);
    const blob = wrapForImport(createPublicKey(tk4096.publicKeyPem), randomBytes(32), 'SHA-1');
    expect(blob).toHaveLength(512 + 40);
    const key = await importKey(owner, { vault, name: 'via-4096', kty: 'oct', size: 256, format: 'raw', blob: blob.toString('base64'), transportKid: tk4096.kid, oaepHash: 'SHA-1' });
    expect(key.origin).toBe('byok');
  });

  it('the worker\'s cleanup job destroys expired, used and revoked transport keys in the HSM, and records it', async () => {
    const expired = await createTransportKey(owner, vault);
    const used = await createTransportKey(owner, vault);
    const revoked = await createTransportKey(owner, vault);
    const active = await createTransportKey(owner, vault);
    await db.query("UPDATE transport_keys SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE id = $1", [TK_ID(expired.kid)]);
    await importKey(owner, { vault, name: 'spends', kty: 'oct', size: 256, format: 'raw', blob: wrapForImport(createPublicKey(used.publicKeyPem), randomBytes(32), 'SHA-1').toString('base64url'), transportKid: used.kid, oaepHash: 'SHA-1' });
    await owner.data('mutation($v: String!, $k: String!) { revokeTransportKey(vault: $v, kid: $k) { kid } }', { v: vault, k: revoked.kid });
    const label = (k: TransportKeyResult) => `${vault}/transport/${TK_ID(k.kid)}`;
    for (const k of [expired, used, revoked, active]) expect(objectsLabelled(pool('pool-a'), label(k))).toHaveLength(2);

    const connection = redisConnectionOptions(requireEnv('REDIS_URL'));
    const queue = new Queue('keybridge-transport-key-cleanup', { connection });
    const events = new QueueEvents('keybridge-transport-key-cleanup', { connection });
    try {
      await events.waitUntilReady();
      const job = await queue.add('cleanup', {}, { removeOnComplete: true, removeOnFail: true });
      const result = (await job.waitUntilFinished(events, 30_000)) as { destroyed: number };
      expect(result.destroyed).toBeGreaterThanOrEqual(3);
    } finally {
      await events.close();
      await queue.close();
    }
    for (const k of [expired, used, revoked]) expect(objectsLabelled(pool('pool-a'), label(k))).toHaveLength(0);
    expect(objectsLabelled(pool('pool-a'), label(active))).toHaveLength(2);
    const rows = (await db.query('SELECT id, destroyed_at FROM transport_keys WHERE id = ANY($1)', [[expired, used, revoked, active].map((k) => TK_ID(k.kid))])).rows as Array<{
      id: string;
      destroyed_at: Date | null;
    }>;
    expect(rows.filter((r) => r.destroyed_at !== null).map((r) => r.id).sort()).toEqual([expired, used, revoked].map((k) => TK_ID(k.kid)).sort());
    const ledger = (await db.query("SELECT details->>'transportKid' AS kid, details->>'reason' AS reason, outcome FROM ledger_entries WHERE vault = $1 AND operation = 'destroyTransportKey'", [vault]))
      .rows as Array<{ kid: string; reason: string; outcome: string }>;
    expect(ledger).toEqual(
      expect.arrayContaining([
        { kid: expired.kid, reason: 'expired', outcome: 'success' },
        { kid: used.kid, reason: 'used', outcome: 'success' },
        { kid: revoked.kid, reason: 'revoked', outcome: 'success' },
      ]),
    );
    expect(await owner.errorCode('mutation($i: ImportKeyInput!) { importKey(input: $i) { kid } }', {
      i: { vault, name: 'late', kty: 'oct', format: 'raw', blob: wrapForImport(createPublicKey(expired.publicKeyPem), randomBytes(32), 'SHA-1').toString('base64url'), transportKid: expired.kid, oaepHash: 'SHA-1' },
    })).toBe('TRANSPORT_KEY_EXPIRED');
  });

  it('the CLI refuses a transport key whose attestation does not verify, is not the pinned key\'s, or whose pool cannot unwrap the hash', async () => {
    const tk = await createTransportKey(owner, vault);
    const { attestationKey } = await owner.data<{ attestationKey: { publicKeyPem: string } }>('query($v: String!) { attestationKey(vault: $v) { publicKeyPem } }', { v: vault });
    work.write('pinned.pem', attestationKey.publicKeyPem);
    work.write('aes.bin', randomBytes(32));
    work.write('tk.json', JSON.stringify({ data: { createTransportKey: tk } }));
    const wrap = (transport: string, ...extra: string[]) =>
      cli('byok', 'wrap', '--transport-key', work.path(transport), '--verify-attestation', work.path('pinned.pem'), '--key', work.path('aes.bin'), '--out', work.path('out.byok'), ...extra);
    expect(wrap('tk.json').status).toBe(0);

    const forged = { ...tk, attestation: { ...tk.attestation, payload: tk.attestation.payload.replace(/"spki":"[^"]+"/, `"spki":"${createPublicKey(tk.publicKeyPem).export({ format: 'der', type: 'spki' }).toString('base64url').replace(/^.{4}/, 'AAAA')}"`) } };
    work.write('forged.json', JSON.stringify(forged));
    const refusedForged = wrap('forged.json');
    expect(refusedForged.status).toBe(1);
    expect(refusedForged.stderr).toMatch(/signature does not verify/);

    work.write('other.pem', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }));
    const refusedPin = cli('byok', 'wrap', '--transport-key', work.path('tk.json'), '--verify-attestation', work.path('other.pem'), '--key', work.path('aes.bin'), '--out', work.path('x.byok'));
    expect(refusedPin.status).toBe(1);

    const refusedHash = wrap('tk.json', '--hash', 'sha256');
    expect(refusedHash.status).toBe(1);
    expect(refusedHash.stderr).toMatch(/cannot unwrap RSA-OAEP with SHA-256/);
  });
});
