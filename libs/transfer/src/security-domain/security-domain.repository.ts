import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PublicKeyJwk } from '@keybridge/hsm';
import { DataSource, EntityManager } from 'typeorm';

export interface SecurityDomain {
  id: string;
  name: string;
  quorum: number;
  custodianCount: number;
  custodianKeyHashes: string[];
  shareCommitments: string[];
  publicJwk: PublicKeyJwk;
  recoveryBlob: Buffer;
  createdAt: Date;
}

export interface DomainPool {
  pool: string;
  hsmObjectId: string;
  activatedAt: Date;
}

interface DomainRow {
  id: string;
  name: string;
  quorum: number;
  custodian_count: number;
  custodian_key_hashes: string[];
  share_commitments: string[];
  public_jwk: PublicKeyJwk;
  recovery_blob: Buffer;
  created_at: Date;
}

const toDomain = (r: DomainRow): SecurityDomain => ({
  id: r.id,
  name: r.name,
  quorum: r.quorum,
  custodianCount: r.custodian_count,
  custodianKeyHashes: r.custodian_key_hashes,
  shareCommitments: r.share_commitments,
  publicJwk: r.public_jwk,
  recoveryBlob: r.recovery_blob,
  createdAt: r.created_at,
});

@Injectable()
export class SecurityDomainRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByName(name: string, manager: EntityManager = this.db.manager): Promise<SecurityDomain | undefined> {
    const rows = (await manager.query('SELECT * FROM security_domains WHERE name = $1', [name])) as DomainRow[];
    return rows[0] && toDomain(rows[0]);
  }

  async findById(id: string): Promise<SecurityDomain | undefined> {
    const rows = (await this.db.query('SELECT * FROM security_domains WHERE id = $1', [id])) as DomainRow[];
    return rows[0] && toDomain(rows[0]);
  }

  async list(): Promise<SecurityDomain[]> {
    return ((await this.db.query('SELECT * FROM security_domains ORDER BY name')) as DomainRow[]).map(toDomain);
  }

  /** Returns false when the name is taken. */
  async insert(manager: EntityManager, d: SecurityDomain): Promise<boolean> {
    const rows = (await manager.query(
      `INSERT INTO security_domains (id, name, quorum, custodian_count, custodian_key_hashes, share_commitments, public_jwk, recovery_blob, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING RETURNING id`,
      [d.id, d.name, d.quorum, d.custodianCount, d.custodianKeyHashes, d.shareCommitments, JSON.stringify(d.publicJwk), d.recoveryBlob, d.createdAt],
    )) as unknown[];
    return rows.length === 1;
  }

  async pools(domainId: string, manager: EntityManager = this.db.manager): Promise<DomainPool[]> {
    const rows = (await manager.query('SELECT pool, hsm_object_id, activated_at FROM security_domain_pools WHERE domain_id = $1 ORDER BY pool', [domainId])) as Array<{
      pool: string;
      hsm_object_id: string;
      activated_at: Date;
    }>;
    return rows.map((r) => ({ pool: r.pool, hsmObjectId: r.hsm_object_id, activatedAt: r.activated_at }));
  }

  /** Returns false when the domain is active on the pool already. */
  async activate(manager: EntityManager, domainId: string, pool: string, hsmObjectId: string, now: Date): Promise<boolean> {
    const rows = (await manager.query(
      `INSERT INTO security_domain_pools (domain_id, pool, hsm_object_id, activated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (domain_id, pool) DO NOTHING RETURNING pool`,
      [domainId, pool, hsmObjectId, now],
    )) as unknown[];
    return rows.length === 1;
  }

  async domainOfVault(vaultId: string, manager: EntityManager = this.db.manager): Promise<SecurityDomain | undefined> {
    const rows = (await manager.query('SELECT d.* FROM security_domains d JOIN vaults v ON v.security_domain_id = d.id WHERE v.id = $1', [vaultId])) as DomainRow[];
    return rows[0] && toDomain(rows[0]);
  }

  /** Returns false when the vault is in a domain already. */
  async addVault(manager: EntityManager, vaultId: string, domainId: string): Promise<boolean> {
    const rows = (await manager.query('UPDATE vaults SET security_domain_id = $2 WHERE id = $1 AND security_domain_id IS NULL RETURNING id', [vaultId, domainId])) as unknown[];
    return rows.length === 1;
  }

  async vaultNames(domainId: string, manager: EntityManager = this.db.manager): Promise<string[]> {
    const rows = (await manager.query('SELECT name FROM vaults WHERE security_domain_id = $1 ORDER BY name', [domainId])) as Array<{ name: string }>;
    return rows.map((r) => r.name);
  }
}
