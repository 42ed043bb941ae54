import { createHash, randomBytes, verify } from 'node:crypto';
import { Client } from 'pg';
import { admin, adminDatabase, createKey, GatewayClient, ledgerRows, principalWith, uniqueName } from '@keybridge/testing';
import { getKey, grant, publicKeyOf, SIGN, transfer, TRANSFER, vaultsWithOwner, WRAP } from './support';

const ROUTES = [
  ['SoftHSM → SoftHSM', 'pool-a', 'pool-b'],
  ['SoftHSM → NSS', 'pool-a', 'pool-n'],
  ['NSS → SoftHSM', 'pool-n', 'pool-a'],
] as const;

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url');

describe.each(ROUTES)('transferKey %s', (_route, sourcePool, targetPool) => {
  let source: string;
  let target: string;
  let owner: GatewayClient;
  let db: Client;

  beforeAll(async () => {
    ({ vaults: [source, target], owner } = await vaultsWithOwner([sourcePool, targetPool], 'xfer'));
    db = await adminDatabase();
  });
  afterAll(async () => db.end());

  it('AES-256: every version, attributes, key_ops and tags arrive; wraps agree; the check values match', async () => {
    await createKey(owner, { vault: source, name: 'aes', kty: 'oct', size: 256, exportable: true, keyOps: ['wrapKey', 'unwrapKey'], tags: [{ name: 'team', value: 'payments' }] });
    await owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "aes") { version } }', { v: source });
    await owner.data('mutation($i: UpdateKeyInput!) { updateKey(input: $i) { version } }', { i: { vault: source, name: 'aes', version: '1', enabled: false } });
    await owner.data('mutation($v: String!) { setMinDecryptVersion(vault: $v, name: "aes", version: 2) { minDecryptVersion } }', { v: source });
    const result = await transfer(owner, { vault: source, name: 'aes', targetVault: target });
    expect(result.target.minDecryptVersion).toBe(2);
    expect(result).toMatchObject({ source: `/vaults/${source}/keys/aes`, mode: 'copy', securityOfficerUsed: sourcePool !== 'pool-n' });
    expect(result.oaepHash).toBe(sourcePool === 'pool-n' && targetPool === 'pool-n' ? 'SHA-256' : 'SHA-1');
    expect(result.versions.map((v) => v.version)).toEqual([1, 2]);
    for (const v of result.versions) expect(v.checkValue).toMatch(/^[0-9a-f]{6}$/);
    expect(result.target).toMatchObject({ vault: target, name: 'aes', version: 2, latestVersion: 2, origin: 'transfer', exportable: true, keyOps: ['wrapKey', 'unwrapKey'] });
    expect(result.target.tags).toEqual([{ name: 'team', value: 'payments' }]);
    expect((await getKey(owner, target, 'aes', '1')).enabled).toBe(false);
    expect((await getKey(owner, source, 'aes', '2')).enabled).toBe(true);

    const value = randomBytes(32).toString('base64url');
    const wrapA = await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault: source, name: 'aes' }, a: 'A256KW', v: value });
    const wrapB = await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault: target, name: 'aes' }, a: 'A256KW', v: value });
    expect(wrapB.wrapKey.value).toBe(wrapA.wrapKey.value);
  });

  it('RSA-3072: signatures made by the target verify with the source public key', async () => {
    const key = await createKey(owner, { vault: source, name: 'rsa', kty: 'RSA', size: 3072, exportable: true });
    const result = await transfer(owner, { vault: source, name: 'rsa', targetVault: target, targetName: 'rsa-moved' });
    expect(result.target.jwk.n).toBe(key.jwk.n);
    const { sign } = await owner.data<{ sign: { value: string } }>(SIGN, { k: { vault: target, name: 'rsa-moved' }, a: 'PS256', d: digest('rsa') });
    expect(verify('sha256', Buffer.from('rsa'), { key: publicKeyOf(key), padding: 6, saltLength: 32 }, Buffer.from(sign.value, 'base64url'))).toBe(true);
  });

  it('EC P-256: signatures made by the target verify with the source public key', async () => {
    const key = await createKey(owner, { vault: source, name: 'ec', kty: 'EC', curve: 'P-256', exportable: true });
    await transfer(owner, { vault: source, name: 'ec', targetVault: target });
    const { sign } = await owner.data<{ sign: { value: string } }>(SIGN, { k: { vault: target, name: 'ec' }, a: 'ES256', d: digest('ec') });
    expect(verify('sha256', Buffer.from('ec'), { key: publicKeyOf(key), dsaEncoding: 'ieee-p1363' }, Buffer.from(sign.value, 'base64url'))).toBe(true);
  });

  it('move mode disables the transferred source versions once the target is verified', async () => {
    await createKey(owner, { vault: source, name: 'mv', kty: 'oct', size: 256, exportable: true });
    const result = await transfer(owner, { vault: source, name: 'mv', targetVault: target, mode: 'move' });
    expect(result.mode).toBe('move');
    expect((await getKey(owner, source, 'mv')).enabled).toBe(false);
    expect((await getKey(owner, target, 'mv')).enabled).toBe(true);
  });

  it('records every step on both vaults: the security officer session, the source outcome and the target arrival', async () => {
    const sourceRows = (await ledgerRows(db, source)).filter((r) => r.key_name === 'aes');
    const targetRows = (await ledgerRows(db, target)).filter((r) => r.key_name === 'aes');
    const ops = sourceRows.map((r) => `${r.operation}:${r.outcome}`);
    expect(ops).toContain('transferKey:success');
    if (sourcePool !== 'pool-n') expect(ops.indexOf('securityOfficerSession:success')).toBeLessThan(ops.indexOf('transferKey:success'));
    else expect(ops).not.toContain('securityOfficerSession:success');
    expect(targetRows.map((r) => `${r.operation}:${r.outcome}`)).toContain('transferKeyIn:success');
    const lineage = await db.query('SELECT source_vault, source_name, versions, mode FROM key_transfers WHERE target_vault = $1 AND target_name = $2', [target, 'aes']);
    expect(lineage.rows).toEqual([{ source_vault: source, source_name: 'aes', versions: [1, 2], mode: 'copy' }]);
  });

  it('keyAccessHistory of the moved key follows it back into the source vault, up to the transfer', async () => {
    const { keyAccessHistory } = await admin().data<{ keyAccessHistory: { edges: Array<{ node: { operation: string; kid: string | null } }> } }>(
      'query($k: String!) { keyAccessHistory(keyId: $k, first: 100) { edges { node { operation kid } } } }',
      { k: `/vaults/${target}/keys/aes` },
    );
    const seen = keyAccessHistory.edges.map((e) => `${e.node.operation}@${e.node.kid?.split('/')[2]}`);
    expect(seen).toEqual(expect.arrayContaining([`createKey@${source}`, `rotateKey@${source}`, `transferKeyIn@${target}`, `transferKey@${source}`]));
    expect(seen.filter((s) => s.startsWith('wrapKey@'))).toEqual([`wrapKey@${target}`]);
  });
});

describe('transferKey refusals (typed, audited, nothing written)', () => {
  let vaults: Record<'source' | 'target' | 'nss', string>;
  let owner: GatewayClient;
  let db: Client;

  beforeAll(async () => {
    const made = await vaultsWithOwner(['pool-a', 'pool-b', 'pool-n'], 'xfer-bad');
    owner = made.owner;
    vaults = { source: made.vaults[0], target: made.vaults[1], nss: made.vaults[2] };
    await createKey(owner, { vault: vaults.source, name: 'fixed', kty: 'oct', size: 256 });
    await createKey(owner, { vault: vaults.source, name: 'free', kty: 'oct', size: 256, exportable: true });
    await createKey(owner, { vault: vaults.source, name: 'k1', kty: 'EC', curve: 'secp256k1', exportable: true });
    await createKey(owner, { vault: vaults.target, name: 'taken', kty: 'oct', size: 128 });
    db = await adminDatabase();
  });
  afterAll(async () => db.end());

  const keyCount = async (vault: string): Promise<number> =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM keys k JOIN vaults v ON v.id = k.vault_id WHERE v.name = $1', [vault])).rows[0].n;

  it.each<[string, string, Record<string, unknown>, 'source' | 'target' | 'nss' | 'no-such-vault']>([
    ['a non-exportable key', 'KEY_NOT_EXPORTABLE', { name: 'fixed' }, 'target'],
    ['an unknown key', 'KEY_NOT_FOUND', { name: 'nope' }, 'target'],
    ['an unknown version', 'KEY_VERSION_NOT_FOUND', { name: 'free', versions: [7] }, 'target'],
    ['an empty version list', 'INVALID_ARGUMENT', { name: 'free', versions: [] }, 'target'],
    ['a version twice', 'INVALID_ARGUMENT', { name: 'free', versions: [1, 1] }, 'target'],
    ['an unknown mode', 'INVALID_ARGUMENT', { name: 'free', mode: 'teleport' }, 'target'],
    ['a bad target name', 'INVALID_ARGUMENT', { name: 'free', targetName: '-bad name' }, 'target'],
    ['a target name in use', 'KEY_ALREADY_EXISTS', { name: 'free', targetName: 'taken' }, 'target'],
    ['an unknown target vault', 'VAULT_NOT_FOUND', { name: 'free' }, 'no-such-vault'],
    ['the key onto itself', 'INVALID_ARGUMENT', { name: 'free' }, 'source'],
    ['a curve the target pool does not have (secp256k1 into NSS)', 'TRANSFER_NOT_POSSIBLE', { name: 'k1' }, 'nss'],
  ])('%s is %s', async (_case, code, over, to) => {
    const targetVault = to === 'no-such-vault' ? to : vaults[to];
    const before = await keyCount(targetVault);
    const result = await owner.request(TRANSFER, { i: { vault: vaults.source, targetVault, ...over } });
    expect(result.errors?.[0].extensions?.code).toBe(code);
    expect(await keyCount(targetVault)).toBe(before);
    const last = (await ledgerRows(db, vaults.source)).filter((r) => r.operation === 'transferKey').pop();
    // A vault that does not exist is a failure, not a denial (one that exists without a grant is a denial).
    expect(last).toMatchObject({ outcome: 'failed', error_code: code });
  });

  it('needs transfer on the source and import on the target, and records the denials', async () => {
    const principal = uniqueName('weak');
    const weak = await principalWith(vaults.source, ['get', 'transfer'], principal);
    await grant(principal, vaults.target, ['get']);
    expect((await weak.request(TRANSFER, { i: { vault: vaults.source, name: 'free', targetVault: vaults.target } })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const noTransfer = await principalWith(vaults.source, ['get', 'import']);
    expect((await noTransfer.request(TRANSFER, { i: { vault: vaults.source, name: 'free', targetVault: vaults.target } })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const denials = (await ledgerRows(db, vaults.source)).filter((r) => r.operation === 'transferKey' && r.outcome === 'denied');
    expect(denials.length).toBeGreaterThanOrEqual(2);
    expect(await keyCount(vaults.target)).toBe(1);
  });
});
