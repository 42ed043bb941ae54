import { execFileSync } from 'node:child_process';
import { loadPoolsFile, PoolConfig, readSecret } from '@keybridge/hsm';
import { createKey, GatewayClient, requireEnv, vaultWithOwner } from '@keybridge/testing';

/** What OpenSC's pkcs11-tool, a client we did not write, sees on the token. */
function objectsLabelled(pool: PoolConfig, label: string): string[] {
  const listing = execFileSync(
    'pkcs11-tool',
    ['--module', pool.module, '--token-label', pool.tokenLabel, '--login', '--pin', readSecret(pool.pin, 'PIN'), '--list-objects'],
    { env: { ...process.env, ...pool.environment }, encoding: 'utf8' },
  );
  return listing.split(/\n(?=\S)/).filter((block) => new RegExp(`label:\\s+${label}\\n`).test(`${block}\n`));
}

const access = (block: string | undefined): string[] =>
  (/Access:\s*(.*)/.exec(block ?? '')?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);

describe('HSM objects behind gateway keys, seen by pkcs11-tool', () => {
  let pool: PoolConfig;
  let vault: string;
  let owner: GatewayClient;

  beforeAll(async () => {
    const found = loadPoolsFile(requireEnv('KEYBRIDGE_POOLS_FILE')).find((p) => p.name === 'pool-a');
    if (!found) throw new Error('pool-a is not configured');
    pool = found;
    ({ vault, owner } = await vaultWithOwner('pool-a', 'objects'));
  });

  it('creates non-exportable private keys sensitive and never extractable', async () => {
    await createKey(owner, { vault, name: 'rsa', kty: 'RSA', size: 2048 });
    const objects = objectsLabelled(pool, `${vault}/rsa/1`);
    const privateKey = objects.find((o) => o.startsWith('Private Key Object; RSA'));
    expect(privateKey).toBeDefined();
    expect(access(privateKey)).toEqual(expect.arrayContaining(['sensitive', 'always sensitive', 'never extractable']));
    expect(access(privateKey)).not.toContain('extractable');
    expect(objects.find((o) => o.startsWith('Public Key Object; RSA'))).toBeDefined();
  });

  it('creates exportable keys sensitive but extractable (only under trusted wrapping keys)', async () => {
    const key = await createKey(owner, { vault, name: 'exp', kty: 'oct', size: 256, exportable: true });
    expect(key.exportable).toBe(true);
    const secret = objectsLabelled(pool, `${vault}/exp/1`).find((o) => o.startsWith('Secret Key Object'));
    expect(access(secret)).toEqual(expect.arrayContaining(['sensitive', 'extractable']));
  });

  it('creates exportable keys on NSS only because the local pool allows PIN-only export, and the pool says so', async () => {
    const nss = await vaultWithOwner('pool-n', 'objects-nss');
    const result = await nss.owner.request('mutation($v: String!) { createKey(input: { vault: $v, name: "exp", kty: "oct", exportable: true }) { kid } }', {
      v: nss.vault,
    });
    expect(result.errors).toBeUndefined();
    const { pools } = await nss.owner.data<{ pools: Array<{ name: string; exportPolicy: string; securityOfficerConfigured: boolean }> }>(
      '{ pools { name exportPolicy securityOfficerConfigured } }',
    );
    expect(pools.find((p) => p.name === 'pool-n')).toEqual({ name: 'pool-n', exportPolicy: 'pinOnly', securityOfficerConfigured: false });
    expect(pools.find((p) => p.name === 'pool-a')).toEqual({ name: 'pool-a', exportPolicy: 'trusted', securityOfficerConfigured: true });
  });

  it('destroys every version\'s objects on purge', async () => {
    await createKey(owner, { vault, name: 'short', kty: 'EC' });
    await owner.data('mutation($v: String!) { rotateKey(vault: $v, name: "short") { version } }', { v: vault });
    expect(objectsLabelled(pool, `${vault}/short/1`)).toHaveLength(2);
    expect(objectsLabelled(pool, `${vault}/short/2`)).toHaveLength(2);
    await owner.data('mutation($v: String!) { deleteKey(vault: $v, name: "short") { kid } }', { v: vault });
    await owner.data('mutation($v: String!) { purgeKey(vault: $v, name: "short") }', { v: vault });
    expect(objectsLabelled(pool, `${vault}/short/1`)).toHaveLength(0);
    expect(objectsLabelled(pool, `${vault}/short/2`)).toHaveLength(0);
  });
});
