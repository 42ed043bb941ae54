import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

@Injectable()
export class ApiTokenRepository {
  async insert(
    manager: EntityManager,
    t: { principalId: string; hash: Buffer; label: string; expiresAt: Date | null },
  ): Promise<{ id: string; createdAt: Date }> {
    const rows = (await manager.query(
      `INSERT INTO api_tokens (principal_id, token_hash, label, expires_at) VALUES ($1, $2, $3, $4) RETURNING id, created_at`,
      [t.principalId, t.hash, t.label, t.expiresAt],
    )) as Array<{ id: string; created_at: Date }>;
    return { id: rows[0].id, createdAt: rows[0].created_at };
  }

  /** Returns the owning principal's id, or undefined when no live token has that id. */
  async revoke(manager: EntityManager, id: string, now: Date): Promise<string | undefined> {
    const rows = (await manager.query(
      `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING principal_id`,
      [id, now],
    )) as [Array<{ principal_id: string }>, number];
    return rows[0][0]?.principal_id;
  }
}
