import { Injectable } from '@nestjs/common';
import { AuthError, AuthErrorCode, GrantRepository, Permission, Principal } from '@keybridge/auth';
import { AppConfig, ChangeFeed, ReadCache } from '@keybridge/platform';
import { KeyError, KeyErrorCode } from '../keys.errors';
import { Vault } from '../model/key';
import { VaultRepository } from '../persistence/vault.repository';

/**
 * The one place that decides whether a principal may act on a vault. A principal without any grant on a vault
 * gets the same VAULT_NOT_FOUND as for a vault that does not exist, so vault names do not leak. Admins manage
 * vaults and grants but hold no key permissions unless granted (management and data plane stay separate).
 */
@Injectable()
export class VaultAccess {
  /** (vault name, principal id) → the vault and the principal's permissions there; emptied by grant and vault changes. */
  private readonly cache: ReadCache<string, { vault: Vault; permissions: string[] | null }>;

  constructor(
    private readonly vaults: VaultRepository,
    private readonly grants: GrantRepository,
    feed: ChangeFeed,
    config: AppConfig,
  ) {
    this.cache = new ReadCache(feed, config, ['grants', 'vaults']);
  }

  async authorize(principal: Principal, vaultName: string, permission: Permission): Promise<Vault> {
    const found = await this.cache.get(`${vaultName}\0${principal.id}`, () => this.vaults.findWithPermissions(vaultName, principal.id));
    if (!found) throw vaultNotFound(vaultName);
    if (!found.permissions) throw vaultNotFound(vaultName).asDenial();
    if (!found.permissions.includes(permission)) {
      throw new AuthError(AuthErrorCode.FORBIDDEN, `missing permission ${permission} on vault ${vaultName}`, {
        permission,
      }).asDenial();
    }
    return found.vault;
  }

  async visibleVaultIds(principal: Principal): Promise<string[]> {
    return this.grants.vaultIdsOf(principal.id);
  }
}

export function vaultNotFound(name: string): KeyError {
  return new KeyError(KeyErrorCode.VAULT_NOT_FOUND, `vault ${name} not found`);
}
