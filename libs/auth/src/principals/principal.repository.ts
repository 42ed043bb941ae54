import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { GlobalPermission } from '../permission';
import { Principal } from './principal';

interface PrincipalRow {
  id: string;
  name: string;
  global_permissions: string[];
}

const toPrincipal = (r: PrincipalRow): Principal => ({
  id: r.id,
  name: r.name,
  globalPermissions: r.global_permissions as GlobalPermission[],
});

@Injectable()
export class PrincipalRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByTokenHash(hash: Buffer, now: Date): Promise<Principal | undefined> {
    const rows = (await this.db.query(
      `SELECT p.id, p.name, p.global_permissions FROM api_tokens t JOIN principals p ON p.id = t.principal_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND NOT p.disabled`,
      [hash, now],
    )) as PrincipalRow[];
    return rows[0] && toPrincipal(rows[0]);
  }

  async findByJwtSubject(subject: string): Promise<Principal | undefined> {
    const rows = (await this.db.query(
      'SELECT id, name, global_permissions FROM principals WHERE jwt_subject = $1 AND NOT disabled',
      [subject],
    )) as PrincipalRow[];
    return rows[0] && toPrincipal(rows[0]);
  }

  /** Enabled principals only (a job acting for a disabled principal must stop). */
  async findById(id: string): Promise<Principal | undefined> {
    const rows = (await this.db.query('SELECT id, name, global_permissions FROM principals WHERE id = $1 AND NOT disabled', [id])) as PrincipalRow[];
    return rows[0] && toPrincipal(rows[0]);
  }

  async findByName(name: string, manager: EntityManager = this.db.manager): Promise<Principal | undefined> {
    const rows = (await manager.query('SELECT id, name, global_permissions FROM principals WHERE name = $1', [name])) as PrincipalRow[];
    return rows[0] && toPrincipal(rows[0]);
  }

  async list(): Promise<Principal[]> {
    const rows = (await this.db.query('SELECT id, name, global_permissions FROM principals ORDER BY name')) as PrincipalRow[];
    return rows.map(toPrincipal);
  }

  /** Returns undefined when the name is taken. */
  async insert(
    manager: EntityManager,
    p: { name: string; globalPermissions: GlobalPermission[]; jwtSubject: string | null },
  ): Promise<Principal | undefined> {
    const rows = (await manager.query(
      `INSERT INTO principals (name, global_permissions, jwt_subject) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING id, name, global_permissions`,
      [p.name, p.globalPermissions, p.jwtSubject],
    )) as PrincipalRow[];
    return rows[0] && toPrincipal(rows[0]);
  }
}
