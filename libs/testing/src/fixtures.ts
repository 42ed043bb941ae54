import { randomBytes } from 'node:crypto';
import { adminToken, GatewayClient } from './gateway-client';

export const ALL_VAULT_PERMISSIONS = [
  'get', 'list', 'update', 'create', 'import', 'delete', 'recover', 'backup', 'restore', 'decrypt', 'encrypt',
  'unwrapKey', 'wrapKey', 'verify', 'sign', 'purge', 'transfer', 'manageJobs', 'manageTransportKeys', 'escrowDeposit', 'escrowRelease',
];

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function admin(): GatewayClient {
  return new GatewayClient(adminToken());
}

/** A new principal with its own token and the given permissions on the vault. */
export async function principalWith(vault: string, permissions: string[], name = uniqueName('p')): Promise<GatewayClient> {
  const root = admin();
  await root.data('mutation($n: String!) { createPrincipal(name: $n) { id } }', { n: name });
  const { createApiToken } = await root.data<{ createApiToken: { token: string } }>(
    'mutation($n: String!) { createApiToken(principal: $n) { token } }',
    { n: name },
  );
  if (permissions.length) {
    await root.data('mutation($p: String!, $v: String!, $perms: [Permission!]!) { setGrant(principal: $p, vault: $v, permissions: $perms) { vault } }', {
      p: name,
      v: vault,
      perms: permissions,
    });
  }
  return new GatewayClient(createApiToken.token);
}

/** A fresh vault on the pool and a principal holding every vault permission on it. */
export async function vaultWithOwner(pool: string, prefix = 'v'): Promise<{ vault: string; owner: GatewayClient }> {
  const vault = uniqueName(prefix);
  await admin().data('mutation($n: String!, $p: String!) { createVault(name: $n, pool: $p) { name } }', { n: vault, p: pool });
  return { vault, owner: await principalWith(vault, ALL_VAULT_PERMISSIONS) };
}

export const KEY_FIELDS = `kid vault name version kty size curve keyOps tags { name value } exportable enabled nbf exp origin
  latestVersion minDecryptVersion deletedAt scheduledPurgeAt jwk { kid kty key_ops n e crv x y }`;

export interface KeyResult {
  kid: string;
  name: string;
  version: number;
  kty: string;
  size: number | null;
  curve: string | null;
  keyOps: string[];
  tags: Array<{ name: string; value: string }>;
  exportable: boolean;
  enabled: boolean;
  nbf: string | null;
  exp: string | null;
  origin: string;
  latestVersion: number;
  minDecryptVersion: number;
  deletedAt: string | null;
  jwk: { kid: string; kty: string; key_ops: string[]; n?: string | null; e?: string | null; crv?: string | null; x?: string | null; y?: string | null };
}

export async function createKey(client: GatewayClient, input: Record<string, unknown>): Promise<KeyResult> {
  const { createKey } = await client.data<{ createKey: KeyResult }>(`mutation($i: CreateKeyInput!) { createKey(input: $i) { ${KEY_FIELDS} } }`, {
    i: input,
  });
  return createKey;
}
