import { Inject, Injectable } from '@nestjs/common';
import { HSM_PORT, HsmKeyRef, HsmPort, OaepHash } from '@keybridge/hsm';
import { Vault } from '@keybridge/keys';
import { EntityManager } from 'typeorm';
import { SecurityDomain, SecurityDomainRepository } from '../security-domain/security-domain.repository';
import { TransferError, TransferErrorCode } from '../transfer.errors';

/** A vault's security domain and the domain key in the vault's pool. */
@Injectable()
export class DomainKeys {
  constructor(
    private readonly domains: SecurityDomainRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
  ) {}

  async of(vault: Vault, manager?: EntityManager): Promise<{ domain: SecurityDomain; key: HsmKeyRef; pools: string[] }> {
    const domain = await this.domains.domainOfVault(vault.id, manager);
    if (!domain) {
      throw new TransferError(TransferErrorCode.VAULT_NOT_IN_SECURITY_DOMAIN, `vault ${vault.name} belongs to no security domain (addVaultToSecurityDomain)`, {
        field: 'vault',
      });
    }
    const pools = await this.domains.pools(domain.id, manager);
    const here = pools.find((p) => p.pool === vault.pool);
    if (!here) throw new TransferError(TransferErrorCode.SECURITY_DOMAIN_NOT_ACTIVE, `security domain ${domain.name} is not active on pool ${vault.pool}`);
    return { domain, key: { pool: here.pool, objectId: here.hsmObjectId }, pools: pools.map((p) => p.pool) };
  }

  /**
   * The OAEP hash a backup uses: the strongest that the source pool and every member pool of the domain can do, so
   * the backup restores anywhere in the domain (SoftHSM 2.6.1 members mean SHA-1).
   */
  oaepHashFor(sourcePool: string, memberPools: string[]): OaepHash {
    const capabilities = [sourcePool, ...memberPools].map((pool) => this.hsm.capabilities(pool));
    const hash = (['SHA-256', 'SHA-1'] as OaepHash[]).find((h) => capabilities.every((c) => c.oaepHashes.includes(h)));
    if (!hash) throw new TransferError(TransferErrorCode.TRANSFER_NOT_POSSIBLE, 'the pools of the security domain share no RSA-OAEP hash');
    return hash;
  }
}
