import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CertificateBinding, CertificateMode } from '../certificates/certificate-binding';
import { GlobalPermission } from '../permission';
import { Principal } from './principal';

interface PrincipalRow {
  id: string;
  name: string;
  global_permissions: string[];
  cert_subject?: string | null;
  cert_sha256?: string | null;
  cert_mode?: string | null;
}

/** Columns for lookups that authenticate: they carry the certificate binding. */
const AUTH_COLUMNS = 'p.id, p.name, p.global_permissions, p.cert_subject, p.cert_sha256, p.cert_mode';

const toPrincipal = (r: PrincipalRow): Principal => ({
  id: r.id,
  name: r.name,
  globalPermissions: r.global_permissions as GlobalPermission[],
  ...(r.cert_mode
    ? { certificateBinding: { subject: r.cert_subject ?? null, sha256: r.cert_sha256 ?? null, mode: r.cert_mode as CertificateMode } }
    : {}),
});

@Injectable()
export class PrincipalRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The principal of a live token, with the token's expiry (null: none). */
  async findByTokenHash(hash: Buffer, now: Date): Promise<{ principal: Principal; expiresAt: Date | null } | undefined> {
    const rows = (await this.db.query(
      `SELECT ${AUTH_COLUMNS}, t.expires_at FROM api_tokens t JOIN principals p ON p.id = t.principal_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND NOT p.disabled`,
      [hash, now],
    )) as Array<PrincipalRow & { expires_at: Date | null }>;
    return rows[0] && { principal: toPrincipal(rows[0]), expiresAt: rows[0].expires_at };
  }

  async findByJwtSubject(subject: string): Promise<Principal | undefined> {
    const rows = (await this.db.query(
      `SELECT ${AUTH_COLUMNS} FROM principals p WHERE p.jwt_subject = $1 AND NOT p.disabled`,
      [subject],
    )) as PrincipalRow[];
    return rows[0] && toPrincipal(rows[0]);
  }

  /**
   * Enabled principals whose binding matches a verified client certificate (every set column equal). More than one
   * can only follow a race between two binds; the caller refuses that.
   */
  async findByCertificate(subject: string, sha256: string): Promise<Principal[]> {
    const rows = (await this.db.query(
      `SELECT ${AUTH_COLUMNS} FROM principals p
        WHERE p.cert_mode IS NOT NULL AND NOT p.disabled
          AND (p.cert_subject IS NULL OR p.cert_subject = $1) AND (p.cert_sha256 IS NULL OR p.cert_sha256 = $2)
        LIMIT 2`,
      [subject, sha256],
    )) as PrincipalRow[];
    return rows.map(toPrincipal);
  }

  /**
   * Names of other principals (disabled ones too) whose binding some certificate could match together with this
   * one; serialised so two concurrent binds cannot both pass the check.
   */
  async overlappingCertificateBindings(manager: EntityManager, principalId: string, binding: CertificateBinding): Promise<string[]> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('keybridge.principals.cert_binding'))`);
    const rows = (await manager.query(
      `SELECT name FROM principals
        WHERE id <> $1 AND cert_mode IS NOT NULL
          AND ($2::text IS NULL OR cert_subject IS NULL OR cert_subject = $2)
          AND ($3::text IS NULL OR cert_sha256 IS NULL OR cert_sha256 = $3)
        ORDER BY name LIMIT 5`,
      [principalId, binding.subject, binding.sha256],
    )) as Array<{ name: string }>;
    return rows.map((r) => r.name);
  }

  /** Sets or (with null) removes the binding; returns whether the principal had one before. */
  async setCertificateBinding(manager: EntityManager, principalId: string, binding: CertificateBinding | null): Promise<boolean> {
    const rows = (await manager.query(
      `UPDATE principals p SET cert_subject = $2, cert_sha256 = $3, cert_mode = $4
         FROM principals old WHERE p.id = $1 AND old.id = p.id RETURNING old.cert_mode AS previous`,
      [principalId, binding?.subject ?? null, binding?.sha256 ?? null, binding?.mode ?? null],
    )) as [Array<{ previous: string | null }>, number];
    return rows[0][0]?.previous != null;
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
