import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EcCurve, KeySpec, PublicKeyJwk } from '@keybridge/hsm';
import { DataSource, EntityManager } from 'typeorm';
import { KeyOrigin, KeyRecord, KeyVersionRecord, specSize } from '../model/key';
import { KeyOp } from '../model/key-op';

interface KeyRow {
  id: string;
  vault_id: string;
  vault_name: string;
  name: string;
  kty: KeySpec['kty'];
  size: number | null;
  curve: EcCurve | null;
  key_ops: string[];
  tags: Record<string, string>;
  exportable: boolean;
  latest_version: number;
  min_decrypt_version: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  scheduled_purge_at: Date | null;
}

interface VersionRow {
  key_id: string;
  version: number;
  pool: string;
  hsm_object_id: string;
  enabled: boolean;
  nbf: Date | null;
  exp: Date | null;
  origin: KeyOrigin;
  public_jwk: PublicKeyJwk | null;
  created_at: Date;
  updated_at: Date;
}

function toSpec(r: KeyRow): KeySpec {
  if (r.kty === 'EC') return { kty: 'EC', curve: r.curve as EcCurve };
  return r.kty === 'RSA' ? { kty: 'RSA', bits: r.size as 2048 } : { kty: 'oct', bits: r.size as 256 };
}

const toKey = (r: KeyRow): KeyRecord => ({
  id: r.id,
  vaultId: r.vault_id,
  vaultName: r.vault_name,
  name: r.name,
  spec: toSpec(r),
  keyOps: r.key_ops as KeyOp[],
  tags: r.tags,
  exportable: r.exportable,
  latestVersion: r.latest_version,
  minDecryptVersion: r.min_decrypt_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
  scheduledPurgeAt: r.scheduled_purge_at,
});

const toVersion = (r: VersionRow): KeyVersionRecord => ({
  keyId: r.key_id,
  version: r.version,
  pool: r.pool,
  hsmObjectId: r.hsm_object_id,
  enabled: r.enabled,
  nbf: r.nbf,
  exp: r.exp,
  origin: r.origin,
  publicJwk: r.public_jwk,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const KEY_SELECT = 'SELECT k.*, v.name AS vault_name FROM keys k JOIN vaults v ON v.id = k.vault_id';

export type KeyState = 'live' | 'deleted' | 'any';

export interface NewKey {
  vaultId: string;
  name: string;
  spec: KeySpec;
  keyOps: KeyOp[];
  tags: Record<string, string>;
  exportable: boolean;
  now: Date;
}

export interface NewVersion {
  keyId: string;
  version: number;
  pool: string;
  hsmObjectId: string;
  enabled: boolean;
  nbf: Date | null;
  exp: Date | null;
  origin: KeyOrigin;
  publicJwk: PublicKeyJwk | null;
  now: Date;
}

@Injectable()
export class KeyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async find(vaultId: string, name: string, state: KeyState, manager: EntityManager = this.db.manager, lock = false): Promise<KeyRecord | undefined> {
    const rows = (await manager.query(
      `${KEY_SELECT} WHERE k.vault_id = $1 AND k.name = $2
         AND ($3 = 'any' OR ($3 = 'live') = (k.deleted_at IS NULL))${lock ? ' FOR UPDATE OF k' : ''}`,
      [vaultId, name, state],
    )) as KeyRow[];
    return rows[0] && toKey(rows[0]);
  }

  /** Keyset pagination by name. */
  async page(vaultId: string, state: Exclude<KeyState, 'any'>, afterName: string | null, limit: number): Promise<KeyRecord[]> {
    const rows = (await this.db.query(
      `${KEY_SELECT} WHERE k.vault_id = $1 AND (k.deleted_at IS NULL) = ($2 = 'live') AND ($3::text IS NULL OR k.name > $3)
        ORDER BY k.name LIMIT $4`,
      [vaultId, state, afterName, limit],
    )) as KeyRow[];
    return rows.map(toKey);
  }

  /** A live key and one version (null: the latest) in one round trip; `version` is undefined when it does not exist. */
  async findLiveWithVersion(vaultId: string, name: string, version: number | null): Promise<{ key: KeyRecord; version?: KeyVersionRecord } | undefined> {
    const rows = (await this.db.query(
      `SELECT k.*, v.name AS vault_name, kv.version AS v_version, kv.pool AS v_pool, kv.hsm_object_id AS v_hsm_object_id,
              kv.enabled AS v_enabled, kv.nbf AS v_nbf, kv.exp AS v_exp, kv.origin AS v_origin, kv.public_jwk AS v_public_jwk,
              kv.created_at AS v_created_at, kv.updated_at AS v_updated_at
         FROM keys k JOIN vaults v ON v.id = k.vault_id
         LEFT JOIN key_versions kv ON kv.key_id = k.id AND kv.version = COALESCE($3::int, k.latest_version)
        WHERE k.vault_id = $1 AND k.name = $2 AND k.deleted_at IS NULL`,
      [vaultId, name, version],
    )) as Array<KeyRow & { [column: `v_${string}`]: unknown }>;
    const row = rows[0];
    if (!row) return undefined;
    const key = toKey(row);
    if (row.v_version === null) return { key };
    return {
      key,
      version: toVersion({
        key_id: row.id,
        version: row.v_version as number,
        pool: row.v_pool as string,
        hsm_object_id: row.v_hsm_object_id as string,
        enabled: row.v_enabled as boolean,
        nbf: row.v_nbf as Date | null,
        exp: row.v_exp as Date | null,
        origin: row.v_origin as KeyOrigin,
        public_jwk: row.v_public_jwk as PublicKeyJwk | null,
        created_at: row.v_created_at as Date,
        updated_at: row.v_updated_at as Date,
      }),
    };
  }

  async version(keyId: string, version: number, manager: EntityManager = this.db.manager): Promise<KeyVersionRecord | undefined> {
    const rows = (await manager.query('SELECT * FROM key_versions WHERE key_id = $1 AND version = $2', [keyId, version])) as VersionRow[];
    return rows[0] && toVersion(rows[0]);
  }

  /** Newest first; keyset pagination by version. */
  async versions(keyId: string, beforeVersion: number | null, limit: number, manager: EntityManager = this.db.manager): Promise<KeyVersionRecord[]> {
    const rows = (await manager.query(
      `SELECT * FROM key_versions WHERE key_id = $1 AND ($2::int IS NULL OR version < $2) ORDER BY version DESC LIMIT $3`,
      [keyId, beforeVersion, limit],
    )) as VersionRow[];
    return rows.map(toVersion);
  }

  /** Returns undefined when the vault already has a key (live or deleted) of that name. */
  async insertKey(manager: EntityManager, k: NewKey): Promise<string | undefined> {
    const { size, curve } = specSize(k.spec);
    const rows = (await manager.query(
      `INSERT INTO keys (vault_id, name, kty, size, curve, key_ops, tags, exportable, latest_version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) ON CONFLICT (vault_id, name) DO NOTHING RETURNING id`,
      [k.vaultId, k.name, k.spec.kty, size, curve, k.keyOps, JSON.stringify(k.tags), k.exportable, k.now],
    )) as Array<{ id: string }>;
    return rows[0]?.id;
  }

  async insertVersion(manager: EntityManager, v: NewVersion): Promise<void> {
    await manager.query(
      `INSERT INTO key_versions (key_id, version, pool, hsm_object_id, enabled, nbf, exp, origin, public_jwk, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
      [v.keyId, v.version, v.pool, v.hsmObjectId, v.enabled, v.nbf, v.exp, v.origin, v.publicJwk && JSON.stringify(v.publicJwk), v.now],
    );
    await manager.query('UPDATE keys SET latest_version = GREATEST(latest_version, $2), updated_at = $3 WHERE id = $1', [
      v.keyId,
      v.version,
      v.now,
    ]);
  }

  async updateKey(manager: EntityManager, keyId: string, patch: { keyOps?: KeyOp[]; tags?: Record<string, string> }, now: Date): Promise<void> {
    await manager.query(
      `UPDATE keys SET key_ops = COALESCE($2, key_ops), tags = COALESCE($3, tags), updated_at = $4 WHERE id = $1`,
      [keyId, patch.keyOps ?? null, patch.tags ? JSON.stringify(patch.tags) : null, now],
    );
  }

  async updateVersion(
    manager: EntityManager,
    keyId: string,
    version: number,
    patch: { enabled?: boolean; nbf?: Date | null; exp?: Date | null },
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE key_versions SET enabled = COALESCE($3, enabled),
          nbf = CASE WHEN $4 THEN $5 ELSE nbf END, exp = CASE WHEN $6 THEN $7 ELSE exp END, updated_at = $8
        WHERE key_id = $1 AND version = $2`,
      [keyId, version, patch.enabled ?? null, 'nbf' in patch, patch.nbf ?? null, 'exp' in patch, patch.exp ?? null, now],
    );
  }

  async setMinDecryptVersion(manager: EntityManager, keyId: string, version: number, now: Date): Promise<void> {
    await manager.query('UPDATE keys SET min_decrypt_version = $2, updated_at = $3 WHERE id = $1', [keyId, version, now]);
  }

  async markDeleted(manager: EntityManager, keyId: string, deletedAt: Date | null, purgeAt: Date | null): Promise<void> {
    await manager.query('UPDATE keys SET deleted_at = $2, scheduled_purge_at = $3, updated_at = COALESCE($2, now()) WHERE id = $1', [
      keyId,
      deletedAt,
      purgeAt,
    ]);
  }

  async remove(manager: EntityManager, keyId: string): Promise<void> {
    await manager.query('DELETE FROM keys WHERE id = $1', [keyId]);
  }
}
