import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Vault } from '../model/key';

interface VaultRow {
  id: string;
  name: string;
  pool: string;
  created_at: Date;
}

const toVault = (r: VaultRow): Vault => ({ id: r.id, name: r.name, pool: r.pool, createdAt: r.created_at });

@Injectable()
export class VaultRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByName(name: string): Promise<Vault | undefined> {
    const rows = (await this.db.query('SELECT * FROM vaults WHERE name = $1', [name])) as VaultRow[];
    return rows[0] && toVault(rows[0]);
  }

  /** The vault and the principal's permissions on it (null: no grant) in one round trip. */
  async findWithPermissions(name: string, principalId: string): Promise<{ vault: Vault; permissions: string[] | null } | undefined> {
    const rows = (await this.db.query(
      `SELECT v.*, g.permissions FROM vaults v LEFT JOIN grants g ON g.vault_id = v.id AND g.principal_id = $2 WHERE v.name = $1`,
      [name, principalId],
    )) as Array<VaultRow & { permissions: string[] | null }>;
    return rows[0] && { vault: toVault(rows[0]), permissions: rows[0].permissions };
  }

  async list(ids?: string[]): Promise<Vault[]> {
    const rows = (await this.db.query(
      'SELECT * FROM vaults WHERE ($1::uuid[] IS NULL OR id = ANY($1)) ORDER BY name',
      [ids ?? null],
    )) as VaultRow[];
    return rows.map(toVault);
  }

  /** Returns undefined when the name is taken. */
  async insert(manager: EntityManager, name: string, pool: string): Promise<Vault | undefined> {
    const rows = (await manager.query(
      'INSERT INTO vaults (name, pool) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING *',
      [name, pool],
    )) as VaultRow[];
    return rows[0] && toVault(rows[0]);
  }
}
