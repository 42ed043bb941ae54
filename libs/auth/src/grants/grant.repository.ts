import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Permission } from '../permission';

@Injectable()
export class GrantRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async vaultIdsOf(principalId: string): Promise<string[]> {
    const rows = (await this.db.query('SELECT vault_id FROM grants WHERE principal_id = $1', [principalId])) as Array<{
      vault_id: string;
    }>;
    return rows.map((r) => r.vault_id);
  }

  /** Replaces the principal's permissions on the vault; an empty set removes the grant. */
  async set(manager: EntityManager, principalId: string, vaultId: string, permissions: Permission[]): Promise<void> {
    if (permissions.length === 0) {
      await manager.query('DELETE FROM grants WHERE principal_id = $1 AND vault_id = $2', [principalId, vaultId]);
      return;
    }
    await manager.query(
      `INSERT INTO grants (principal_id, vault_id, permissions) VALUES ($1, $2, $3)
       ON CONFLICT (principal_id, vault_id) DO UPDATE SET permissions = EXCLUDED.permissions`,
      [principalId, vaultId, [...new Set(permissions)].sort()],
    );
  }
}
