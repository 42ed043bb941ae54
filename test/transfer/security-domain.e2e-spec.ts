import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, KeyObject, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { admin, adminDatabase, createKey, GatewayClient, ledgerRows, principalWith, uniqueName } from '@keybridge/testing';
import { getKey, grant, publicKeyOf, SIGN, vaultsWithOwner, WRAP } from './support';

const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');
const CREATE = `mutation($i: CreateSecurityDomainInput!) { createSecurityDomain(input: $i) { shares domain { id name quorum custodianCount pools { pool } vaults publicKey { kty n e } } } }`;
const ACTIVATE = 'mutation($i: ActivateSecurityDomainInput!) { activateSecurityDomain(input: $i) { name pools { pool } } }';
const ADD_VAULT = 'mutation($v: String!, $d: String!) { addVaultToSecurityDomain(vault: $v, domain: $d) { name vaults } }';
const BACKUP = 'mutation($v: String!, $n: String!) { backupKey(vault: $v, name: $n) { kid blob securityDomain versions } }';
const RESTORE = 'mutation($v: String!, $b: String!) { restoreKey(vault: $v, blob: $b) { kid name version latestVersion origin exportable keyOps tags { name value } jwk { n e } } }';
const DOMAINS = '{ securityDomains { name pools { pool } vaults } }';

interface Created {
  shares: string[];
  domain: { id: string; name: string; quorum: number; custodianCount: number; pools: Array<{ pool: string }>; vaults: string[] };
}

const rsaCustodian = (bits = 2048) => generateKeyPairSync('rsa', { modulusLength: bits });
const spki = (key: KeyObject): string => key.export({ format: 'pem', type: 'spki' }).toString();

describe('security domains: custodian quorum, backup and restore across pools and vendors', () => {
  const root = admin();
  const dir = mkdtempSync(join(tmpdir(), 'kb-domain-'));
  const custodians = Array.from({ length: 4 }, () => rsaCustodian());
  let domain: Created;
  let decrypted: string[];
  let db: Client;
  let vaults: string[];
  let owner: GatewayClient;

  /** The custodian's side: the CLI decrypts the share file with the custodian's private key. */
  function decryptWithCli(share: string, i: number): string {
    const shareFile = join(dir, `share-${i}.json`);
    const keyFile = join(dir, `custodian-${i}.pem`);
    const out = join(dir, `decrypted-${i}-${randomBytes(3).toString('hex')}.json`);
    writeFileSync(shareFile, share);
    writeFileSync(keyFile, custodians[i].privateKey.export({ format: 'pem', type: 'pkcs8' }));
    execFileSync(process.execPath, [CLI, 'custodian', 'decrypt-share', '--share', shareFile, '--key', keyFile, '--out', out], { stdio: 'pipe' });
    return readFileSync(out, 'utf8');
  }

  beforeAll(async () => {
    db = await adminDatabase();
    const name = uniqueName('dom');
    ({ createSecurityDomain: domain } = await root.data<{ createSecurityDomain: Created }>(CREATE, {
      i: { name, pool: 'pool-a', custodians: custodians.map((c) => spki(c.publicKey)), quorum: 3 },
    }));
    decrypted = domain.shares.map((share, i) => decryptWithCli(share, i));
    ({ vaults, owner } = await vaultsWithOwner(['pool-a', 'pool-n', 'pool-b'], 'dom'));
  });
  afterAll(async () => {
    await db.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the domain with its key in the pool and one encrypted share per custodian, recorded with its SO session', async () => {
    expect(domain.domain).toMatchObject({ quorum: 3, custodianCount: 4, pools: [{ pool: 'pool-a' }], vaults: [] });
    expect(domain.shares).toHaveLength(4);
    for (const [i, share] of domain.shares.entries()) {
      expect(JSON.parse(share)).toMatchObject({ format: 'keybridge.custodian-share', version: 1, domainId: domain.domain.id, index: i + 1, threshold: 3 });
    }
    const { rows } = await db.query<{ operation: string; outcome: string }>(
      `SELECT operation, outcome FROM ledger_entries WHERE details->>'domain' = $1 ORDER BY seq`,
      [domain.domain.name],
    );
    expect(rows.map((r) => `${r.operation}:${r.outcome}`)).toEqual(['securityOfficerSession:success', 'createSecurityDomain:success']);
  });

  it.each([
    ['two custodians', { custodians: 2 }, 'INVALID_CUSTODIAN_KEY'],
    ['an RSA-1024 custodian', { weak: true }, 'INVALID_CUSTODIAN_KEY'],
    ['an EC custodian key', { ec: true }, 'INVALID_CUSTODIAN_KEY'],
    ['the same custodian twice', { duplicate: true }, 'INVALID_CUSTODIAN_KEY'],
    ['not a key at all', { garbage: true }, 'INVALID_CUSTODIAN_KEY'],
    ['quorum 1', { quorum: 1 }, 'INVALID_ARGUMENT'],
    ['quorum above the custodians', { quorum: 5 }, 'INVALID_ARGUMENT'],
    ['a bad name', { name: 'Bad Name' }, 'INVALID_ARGUMENT'],
    ['an unknown pool', { pool: 'pool-zz' }, 'POOL_NOT_FOUND'],
    ['a name in use', { taken: true }, 'SECURITY_DOMAIN_ALREADY_EXISTS'],
  ] as const)('createSecurityDomain refuses %s (%s)', async (_case, over: Record<string, unknown>, code) => {
    const keys = custodians.slice(0, over.custodians === 2 ? 2 : 4).map((c) => spki(c.publicKey));
    if (over.weak) keys[1] = spki(rsaCustodian(1024).publicKey);
    if (over.ec) keys[1] = spki(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    if (over.duplicate) keys[1] = keys[0];
    if (over.garbage) keys[1] = 'not a key';
    const name = over.taken ? domain.domain.name : typeof over.name === 'string' ? over.name : uniqueName('dom-bad');
    const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM security_domains')).rows[0].n;
    const result = await root.request(CREATE, { i: { name, pool: over.pool ?? 'pool-a', custodians: keys, quorum: over.quorum ?? 3 } });
    expect(result.errors?.[0].extensions?.code).toBe(code);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM security_domains')).rows[0].n).toBe(before);
  });

  it('is admin-only, and the refusal is recorded', async () => {
    const plain = await principalWith(vaults[0], ['get']);
    const result = await plain.request(CREATE, { i: { name: uniqueName('dom'), pool: 'pool-a', custodians: custodians.map((c) => spki(c.publicKey)), quorum: 3 } });
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses M-1 shares, a tampered share, a share of another domain and repeated shares; nothing is activated', async () => {
    const other = await root.data<{ createSecurityDomain: Created }>(CREATE, {
      i: { name: uniqueName('dom-other'), pool: 'pool-b', custodians: custodians.map((c) => spki(c.publicKey)), quorum: 2 },
    });
    const foreign = decryptWithCli(other.createSecurityDomain.shares[2], 2);
    const tampered = JSON.parse(decrypted[1]) as { share: string };
    const bytes = Buffer.from(tampered.share, 'base64url');
    bytes[3] ^= 0x01;
    const tamperedShare = JSON.stringify({ ...tampered, share: bytes.toString('base64url') });
    const attempts: Array<[string[], string]> = [
      [[decrypted[0], decrypted[1]], 'QUORUM_NOT_MET'],
      [[decrypted[0], tamperedShare, decrypted[2]], 'INVALID_SHARE'],
      [[decrypted[0], decrypted[1], foreign], 'INVALID_SHARE'],
      [[decrypted[0], decrypted[1], decrypted[1]], 'QUORUM_NOT_MET'],
      [[decrypted[0], decrypted[1], domain.shares[2]], 'INVALID_SHARE'],
      [[decrypted[0], decrypted[1], '{"format":"keybridge.decrypted-share"'], 'INVALID_SHARE'],
    ];
    for (const [shares, code] of attempts) {
      const result = await root.request(ACTIVATE, { i: { domain: domain.domain.name, pool: 'pool-n', shares } });
      expect(result.errors?.[0].extensions?.code).toBe(code);
    }
    const { securityDomains } = await root.data<{ securityDomains: Array<{ name: string; pools: Array<{ pool: string }> }> }>(DOMAINS);
    expect(securityDomains.find((d) => d.name === domain.domain.name)?.pools).toEqual([{ pool: 'pool-a' }]);
    const failures = (await db.query(`SELECT error_code FROM ledger_entries WHERE operation = 'activateSecurityDomain' AND details->>'domain' = $1`, [domain.domain.name])).rows;
    expect(failures).toHaveLength(attempts.length);
  });

  it('activates the domain on an NSS pool with M of N shares (any M), once', async () => {
    const { activateSecurityDomain } = await root.data<{ activateSecurityDomain: { pools: Array<{ pool: string }> } }>(ACTIVATE, {
      i: { domain: domain.domain.name, pool: 'pool-n', shares: [decrypted[3], decrypted[1], decrypted[0]] },
    });
    expect(activateSecurityDomain.pools.map((p) => p.pool)).toEqual(['pool-a', 'pool-n']);
    const again = await root.request(ACTIVATE, { i: { domain: domain.domain.name, pool: 'pool-n', shares: decrypted.slice(0, 3) } });
    expect(again.errors?.[0].extensions?.code).toBe('SECURITY_DOMAIN_ALREADY_ACTIVE');
  });

  it('admits vaults only on pools where the domain is active', async () => {
    for (const vault of vaults.slice(0, 2)) await root.data(ADD_VAULT, { v: vault, d: domain.domain.name });
    const result = await root.request(ADD_VAULT, { v: vaults[2], d: domain.domain.name });
    expect(result.errors?.[0].extensions?.code).toBe('SECURITY_DOMAIN_NOT_ACTIVE');
  });

  it('backup → destroy the key → restore into a vault on another pool and vendor → use it (RSA, every version)', async () => {
    const [va, vn] = vaults;
    await createKey(owner, { vault: va, name: 'signer', kty: 'RSA', size: 2048, exportable: true, keyOps: ['sign', 'verify'], tags: [{ name: 'env', value: 'prod' }] });
    await owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "signer") { version } }', { v: va });
    const v1 = await getKey(owner, va, 'signer', '1');
    const { backupKey } = await owner.data<{ backupKey: { blob: string; versions: number; securityDomain: string } }>(BACKUP, { v: va, n: 'signer' });
    expect(backupKey).toMatchObject({ versions: 2, securityDomain: domain.domain.name });
    expect(backupKey.blob.startsWith('{"format":"keybridge.key-backup","version":1,')).toBe(true);
    await owner.data('mutation($v: String!) { deleteKey(vault: $v, name: "signer") { kid } }', { v: va });
    await owner.data('mutation($v: String!) { purgeKey(vault: $v, name: "signer") }', { v: va });

    const { restoreKey } = await owner.data<{ restoreKey: { latestVersion: number; origin: string; exportable: boolean; keyOps: string[]; tags: unknown[] } }>(RESTORE, {
      v: vn,
      b: backupKey.blob,
    });
    expect(restoreKey).toMatchObject({ latestVersion: 2, origin: 'restore', exportable: true, keyOps: ['sign', 'verify'], tags: [{ name: 'env', value: 'prod' }] });
    const digest = createHash('sha256').update('restored').digest('base64url');
    const { sign } = await owner.data<{ sign: { value: string } }>(SIGN, { k: { vault: vn, name: 'signer', version: '1' }, a: 'RS256', d: digest });
    expect(verify('sha256', Buffer.from('restored'), publicKeyOf(v1), Buffer.from(sign.value, 'base64url'))).toBe(true);
  });

  it('AES: wraps after the restore equal wraps before the backup', async () => {
    const [va, vn] = vaults;
    await createKey(owner, { vault: va, name: 'kek', kty: 'oct', size: 256, exportable: true });
    const value = randomBytes(32).toString('base64url');
    const before = await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault: va, name: 'kek' }, a: 'A256KW', v: value });
    const { backupKey } = await owner.data<{ backupKey: { blob: string } }>(BACKUP, { v: va, n: 'kek' });
    await owner.data(RESTORE, { v: vn, b: backupKey.blob });
    const after = await owner.data<{ wrapKey: { value: string } }>(WRAP, { k: { vault: vn, name: 'kek' }, a: 'A256KW', v: value });
    expect(after.wrapKey.value).toBe(before.wrapKey.value);
  });

  describe('restore refusals: typed, audited, nothing restored', () => {
    let blob: string;
    let target: string;
    const live = async (name: string): Promise<number> =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM keys k JOIN vaults v ON v.id = k.vault_id WHERE v.name = $1 AND k.name = $2', [target, name])).rows[0].n;

    beforeAll(async () => {
      const [va] = vaults;
      target = vaults[1];
      await createKey(owner, { vault: va, name: 'victim', kty: 'EC', curve: 'P-256', exportable: true });
      blob = (await owner.data<{ backupKey: { blob: string } }>(BACKUP, { v: va, n: 'victim' })).backupKey.blob;
    });

    const flip = (text: string, bit: number): string => {
      const bytes = Buffer.from(text, 'utf8');
      bytes[bit >> 3] ^= 1 << (bit & 7);
      return bytes.toString('latin1');
    };

    it('refuses a flipped bit anywhere (header, wrapped parts, seal) with a typed error', async () => {
      const length = Buffer.byteLength(blob) * 8;
      const sealAt = blob.indexOf('"seal"') * 8;
      const bits = [...Array.from({ length: 40 }, (_, i) => Math.floor(((i + 0.5) * length) / 40)), length - 9, length - 17, sealAt + 80, 8 * 30];
      for (const bit of bits) {
        const result = await owner.request(RESTORE, { v: target, b: flip(blob, bit) });
        expect([bit, result.errors?.[0].extensions?.code]).toEqual([bit, expect.stringMatching(/^(INVALID_BACKUP|UNSUPPORTED_BACKUP_VERSION)$/)]);
      }
      expect(await live('victim')).toBe(0);
    });

    it.each([
      ['a truncated blob', (b: string) => b.slice(0, b.length - 40), 'INVALID_BACKUP'],
      ['an unknown format version', (b: string) => b.replace('"version":1,', '"version":2,'), 'UNSUPPORTED_BACKUP_VERSION'],
      ['another format', (b: string) => b.replace('keybridge.key-backup', 'keybridge.key-backap'), 'INVALID_BACKUP'],
      ['not JSON', () => 'not a backup', 'INVALID_BACKUP'],
      ['a renamed key', (b: string) => b.replace('"name":"victim"', '"name":"victin"'), 'INVALID_BACKUP'],
    ])('%s is %s', async (_case, change, code) => {
      const result = await owner.request(RESTORE, { v: target, b: change(blob) });
      expect(result.errors?.[0].extensions?.code).toBe(code);
      expect(await live('victim')).toBe(0);
      expect(await live('victin')).toBe(0);
    });

    it('refuses a backup of another domain, a vault outside any domain, and an existing live key', async () => {
      const otherDomain = await root.data<{ createSecurityDomain: Created }>(CREATE, {
        i: { name: uniqueName('dom-x'), pool: 'pool-b', custodians: custodians.map((c) => spki(c.publicKey)), quorum: 2 },
      });
      await root.data(ADD_VAULT, { v: vaults[2], d: otherDomain.createSecurityDomain.domain.name });
      expect((await owner.request(RESTORE, { v: vaults[2], b: blob })).errors?.[0].extensions?.code).toBe('BACKUP_DOMAIN_MISMATCH');

      const { vaults: [outside], owner: outsider } = await vaultsWithOwner(['pool-a'], 'nodom');
      expect((await outsider.request(RESTORE, { v: outside, b: blob })).errors?.[0].extensions?.code).toBe('VAULT_NOT_IN_SECURITY_DOMAIN');
      expect((await owner.request(RESTORE, { v: vaults[0], b: blob })).errors?.[0].extensions?.code).toBe('KEY_ALREADY_EXISTS');
      const refusals = (await ledgerRows(db, vaults[2])).filter((r) => r.operation === 'restoreKey');
      expect(refusals.at(-1)).toMatchObject({ outcome: 'failed', error_code: 'BACKUP_DOMAIN_MISMATCH' });
    });

    it('backs up only exportable keys of member vaults, with the backup permission', async () => {
      await createKey(owner, { vault: vaults[0], name: 'pinned', kty: 'oct', size: 256 });
      expect((await owner.request(BACKUP, { v: vaults[0], n: 'pinned' })).errors?.[0].extensions?.code).toBe('KEY_NOT_EXPORTABLE');
      const principal = uniqueName('nobackup');
      const weak = await principalWith(vaults[0], ['get'], principal);
      expect((await weak.request(BACKUP, { v: vaults[0], n: 'victim' })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      await grant(principal, vaults[1], ['get']);
      expect((await weak.request(RESTORE, { v: vaults[1], b: blob })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });
  });
});
