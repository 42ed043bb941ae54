import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { admin, ALL_VAULT_PERMISSIONS, GatewayClient, KEY_FIELDS, KeyResult, principalWith, uniqueName } from '@keybridge/testing';

export const TRANSFER = `mutation($i: TransferKeyInput!) {
  transferKey(input: $i) { source mode oaepHash securityOfficerUsed versions { version checkValue } target { ${KEY_FIELDS} } }
}`;

export interface TransferResult {
  source: string;
  mode: string;
  oaepHash: string;
  securityOfficerUsed: boolean;
  versions: Array<{ version: number; checkValue: string | null }>;
  target: KeyResult;
}

export const SIGN = 'mutation($k: KeyRefInput!, $a: String!, $d: String!) { sign(key: $k, algorithm: $a, digest: $d) { kid value } }';
export const WRAP = 'mutation($k: KeyRefInput!, $a: String!, $v: String!) { wrapKey(key: $k, algorithm: $a, value: $v) { kid value } }';
export const KEY = `query($v: String!, $n: String!, $ver: String) { key(vault: $v, name: $n, version: $ver) { ${KEY_FIELDS} } }`;

export function publicKeyOf(key: KeyResult): KeyObject {
  const jwk = Object.fromEntries(Object.entries(key.jwk).filter(([name, v]) => v !== null && name !== 'kid' && name !== 'key_ops'));
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

export async function transfer(client: GatewayClient, input: Record<string, unknown>): Promise<TransferResult> {
  return (await client.data<{ transferKey: TransferResult }>(TRANSFER, { i: input })).transferKey;
}

export async function getKey(client: GatewayClient, vault: string, name: string, version?: string): Promise<KeyResult> {
  return (await client.data<{ key: KeyResult }>(KEY, { v: vault, n: name, ver: version ?? null })).key;
}

/** Fresh vaults on the given pools and one principal holding every vault permission on all of them. */
export async function vaultsWithOwner(pools: string[], prefix: string): Promise<{ vaults: string[]; owner: GatewayClient }> {
  const root = admin();
  const vaults = pools.map((pool) => ({ pool, name: uniqueName(prefix) }));
  for (const v of vaults) await root.data('mutation($n: String!, $p: String!) { createVault(name: $n, pool: $p) { name } }', { n: v.name, p: v.pool });
  const principal = uniqueName('owner');
  const owner = await principalWith(vaults[0].name, ALL_VAULT_PERMISSIONS, principal);
  for (const v of vaults.slice(1)) await grant(principal, v.name, ALL_VAULT_PERMISSIONS);
  return { vaults: vaults.map((v) => v.name), owner };
}

export async function grant(principal: string, vault: string, permissions: string[]): Promise<void> {
  await admin().data('mutation($p: String!, $v: String!, $perms: [Permission!]!) { setGrant(principal: $p, vault: $v, permissions: $perms) { vault } }', {
    p: principal,
    v: vault,
    perms: permissions,
  });
}
