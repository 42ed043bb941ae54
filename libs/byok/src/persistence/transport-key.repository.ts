import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { OaepHash, PublicKeyJwk } from '@keybridge/hsm';
import { DataSource, EntityManager } from 'typeorm';
import { TransportKeyRecord } from '../model/transport-key';

interface TransportKeyRow {
  id: string;
  vault_id: string;
  vault_name: string;
  pool: string;
  hsm_object_id: string;
  size: number;
  public_jwk: Extract<PublicKeyJwk, { kty: 'RSA' }>;
  oaep_hashes: OaepHash[];
  max_uses: number;
  uses: number;
  created_by: string;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  destroyed_at: Date | null;
  attestation_key_id: string;
  attestation_payload: string;
  attestation_signature: Buffer;
}

const toRecord = (r: TransportKeyRow): TransportKeyRecord => ({
  id: r.id,
  vaultId: r.vault_id,
  vaultName: r.vault_name,
  pool: r.pool,
  hsmObjectId: r.hsm_object_id,
  size: r.size,
  publicJwk: r.public_jwk,
  oaepHashes: r.oaep_hashes,
  maxUses: r.max_uses,
  uses: r.uses,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  destroyedAt: r.destroyed_at,
  attestationKeyId: r.attestation_key_id,
  attestationPayload: r.attestation_payload,
  attestationSignature: r.attestation_signature,
});

const SELECT = 'SELECT t.*, v.name AS vault_name FROM transport_keys t JOIN vaults v ON v.id = t.vault_id';

export type NewTransportKey = Omit<TransportKeyRecord, 'vaultName' | 'uses' | 'lastUsedAt' | 'revokedAt' | 'destroyedAt'>;

@Injectable()
export class TransportKeyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(manager: EntityManager, k: NewTransportKey): Promise<void> {
    await manager.query(
      `INSERT INTO transport_keys (id, vault_id, pool, hsm_object_id, size, public_jwk, oaep_hashes, max_uses, created_by, created_at,
          expires_at, attestation_key_id, attestation_payload, attestation_signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        k.id,
        k.vaultId,
        k.pool,
        k.hsmObjectId,
        k.size,
        JSON.stringify(k.publicJwk),
        k.oaepHashes,
        k.maxUses,
        k.createdBy,
        k.createdAt,
        k.expiresAt,
        k.attestationKeyId,
        k.attestationPayload,
        k.attestationSignature,
      ],
    );
  }

  async find(vaultId: string, id: string, manager: EntityManager = this.db.manager, lock = false): Promise<TransportKeyRecord | undefined> {
    const rows = (await manager.query(`${SELECT} WHERE t.vault_id = $1 AND t.id = $2${lock ? ' FOR UPDATE OF t' : ''}`, [vaultId, id])) as TransportKeyRow[];
    return rows[0] && toRecord(rows[0]);
  }

  /** Newest first; without `all`, only keys that can still import (not revoked, used up or expired). */
  async list(vaultId: string, all: boolean, now: Date, limit: number): Promise<TransportKeyRecord[]> {
    const rows = (await this.db.query(
      `${SELECT} WHERE t.vault_id = $1
         AND ($2 OR (t.revoked_at IS NULL AND t.uses < t.max_uses AND t.expires_at > $3))
       ORDER BY t.created_at DESC, t.id LIMIT $4`,
      [vaultId, all, now, limit],
    )) as TransportKeyRow[];
    return rows.map(toRecord);
  }

  /** Spends one use if the key can still import; false when it cannot (the caller re-reads to say why). */
  async consume(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    // A CTE so that the driver returns the rows (TypeORM gives [rows, count] for a bare UPDATE ... RETURNING).
    const rows = (await manager.query(
      `WITH spent AS (UPDATE transport_keys SET uses = uses + 1, last_used_at = $2
         WHERE id = $1 AND revoked_at IS NULL AND destroyed_at IS NULL AND uses < max_uses AND expires_at > $2 RETURNING id)
       SELECT id FROM spent`,
      [id, now],
    )) as Array<{ id: string }>;
    return rows.length === 1;
  }

  async revoke(manager: EntityManager, id: string, now: Date): Promise<void> {
    await manager.query('UPDATE transport_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1', [id, now]);
  }

  /** Keys whose HSM object should go: revoked, used up or expired, and not destroyed yet. */
  async finished(now: Date, limit: number): Promise<TransportKeyRecord[]> {
    const rows = (await this.db.query(
      `${SELECT} WHERE t.destroyed_at IS NULL AND (t.revoked_at IS NOT NULL OR t.uses >= t.max_uses OR t.expires_at <= $1)
       ORDER BY t.expires_at LIMIT $2`,
      [now, limit],
    )) as TransportKeyRow[];
    return rows.map(toRecord);
  }

  /** False when another worker got there first. */
  async markDestroyed(manager: EntityManager, id: string, now: Date): Promise<boolean> {
    const rows = (await manager.query(
      'WITH done AS (UPDATE transport_keys SET destroyed_at = $2 WHERE id = $1 AND destroyed_at IS NULL RETURNING id) SELECT id FROM done',
      [id, now],
    )) as Array<{ id: string }>;
    return rows.length === 1;
  }
}
