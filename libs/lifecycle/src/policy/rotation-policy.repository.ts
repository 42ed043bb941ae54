import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EcCurve, KeySpec } from '@keybridge/hsm';
import { DataSource, EntityManager } from 'typeorm';
import { LifetimeAction, RotationPolicy } from './rotation-policy';

export interface StoredPolicy extends RotationPolicy {
  keyId: string;
  setBy: string;
  updatedAt: Date;
}

/** A key with a policy, with what the scheduler needs of its latest version. */
export interface PolicyTarget {
  policy: StoredPolicy;
  vaultId: string;
  vault: string;
  pool: string;
  name: string;
  spec: KeySpec;
  exportable: boolean;
  latestVersion: number;
  latestCreatedAt: Date;
  latestExp: Date | null;
}

interface PolicyRow {
  key_id: string;
  expiry_time: string | null;
  lifetime_actions: LifetimeAction[];
  rewrap_escrow: boolean;
  set_by: string;
  updated_at: Date;
}

const toPolicy = (r: PolicyRow): StoredPolicy => ({
  keyId: r.key_id,
  expiryTime: r.expiry_time,
  lifetimeActions: r.lifetime_actions,
  rewrapEscrow: r.rewrap_escrow,
  setBy: r.set_by,
  updatedAt: r.updated_at,
});

@Injectable()
export class RotationPolicyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async upsert(manager: EntityManager, keyId: string, policy: RotationPolicy, setBy: string, now: Date): Promise<StoredPolicy> {
    const rows = (await manager.query(
      `INSERT INTO key_rotation_policies (key_id, expiry_time, lifetime_actions, rewrap_escrow, set_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (key_id) DO UPDATE SET expiry_time = $2, lifetime_actions = $3, rewrap_escrow = $4, set_by = $5, updated_at = $6
       RETURNING *`,
      [keyId, policy.expiryTime, JSON.stringify(policy.lifetimeActions), policy.rewrapEscrow, setBy, now],
    )) as PolicyRow[];
    return toPolicy(rows[0]);
  }

  async find(keyId: string): Promise<StoredPolicy | undefined> {
    const rows = (await this.db.query('SELECT * FROM key_rotation_policies WHERE key_id = $1', [keyId])) as PolicyRow[];
    return rows[0] && toPolicy(rows[0]);
  }

  /** Every live key with a policy and at least one action (the scheduler's worklist). */
  async targets(vaults: string[] | null): Promise<PolicyTarget[]> {
    const rows = (await this.db.query(
      `SELECT p.*, k.vault_id, v.name AS vault, v.pool, k.name, k.kty, k.size, k.curve, k.exportable, k.latest_version,
              kv.created_at AS latest_created_at, kv.exp AS latest_exp
         FROM key_rotation_policies p JOIN keys k ON k.id = p.key_id JOIN vaults v ON v.id = k.vault_id
         JOIN key_versions kv ON kv.key_id = k.id AND kv.version = k.latest_version
        WHERE k.deleted_at IS NULL AND jsonb_array_length(p.lifetime_actions) > 0 AND ($1::text[] IS NULL OR v.name = ANY($1))`,
      [vaults],
    )) as Array<PolicyRow & { vault_id: string; vault: string; pool: string; name: string; kty: KeySpec['kty']; size: number | null; curve: EcCurve | null; exportable: boolean; latest_version: number; latest_created_at: Date; latest_exp: Date | null }>;
    return rows.map((r) => ({
      policy: toPolicy(r),
      vaultId: r.vault_id,
      vault: r.vault,
      pool: r.pool,
      name: r.name,
      spec: r.kty === 'EC' ? { kty: 'EC', curve: r.curve as EcCurve } : r.kty === 'RSA' ? { kty: 'RSA', bits: r.size as 2048 } : { kty: 'oct', bits: r.size as 256 },
      exportable: r.exportable,
      latestVersion: r.latest_version,
      latestCreatedAt: r.latest_created_at,
      latestExp: r.latest_exp,
    }));
  }

  async latestVersion(keyId: string): Promise<number | undefined> {
    const rows = (await this.db.query('SELECT latest_version FROM keys WHERE id = $1 AND deleted_at IS NULL', [keyId])) as Array<{ latest_version: number }>;
    return rows[0]?.latest_version;
  }

  /** Versions past their exp with no KeyExpired event yet (bounded per tick). */
  async expiredWithoutEvent(now: Date, limit: number, vaults: string[] | null): Promise<Array<{ keyId: string; vault: string; name: string; version: number; exp: Date }>> {
    const rows = (await this.db.query(
      `SELECT kv.key_id, v.name AS vault, k.name, kv.version, kv.exp FROM key_versions kv JOIN keys k ON k.id = kv.key_id JOIN vaults v ON v.id = k.vault_id
        WHERE kv.exp IS NOT NULL AND kv.exp <= $1 AND k.deleted_at IS NULL AND ($3::text[] IS NULL OR v.name = ANY($3))
          AND NOT EXISTS (SELECT 1 FROM key_events e WHERE e.dedupe_key = 'KeyExpired:' || kv.key_id || ':' || kv.version)
        ORDER BY kv.exp LIMIT $2`,
      [now, limit, vaults],
    )) as Array<{ key_id: string; vault: string; name: string; version: number; exp: Date }>;
    return rows.map((r) => ({ keyId: r.key_id, vault: r.vault, name: r.name, version: r.version, exp: r.exp }));
  }

  /** Transport keys past their expiry with no TransportKeyExpired event yet. */
  async expiredTransportKeys(now: Date, limit: number, vaults: string[] | null): Promise<Array<{ id: string; vault: string; expiresAt: Date }>> {
    const rows = (await this.db.query(
      `SELECT t.id, v.name AS vault, t.expires_at FROM transport_keys t JOIN vaults v ON v.id = t.vault_id
        WHERE t.expires_at <= $1 AND ($3::text[] IS NULL OR v.name = ANY($3)) AND NOT EXISTS (SELECT 1 FROM key_events e WHERE e.dedupe_key = 'TransportKeyExpired:' || t.id)
        ORDER BY t.expires_at LIMIT $2`,
      [now, limit, vaults],
    )) as Array<{ id: string; vault: string; expires_at: Date }>;
    return rows.map((r) => ({ id: r.id, vault: r.vault, expiresAt: r.expires_at }));
  }
}
