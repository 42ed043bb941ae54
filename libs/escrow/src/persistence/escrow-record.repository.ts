import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EscrowOrigin, EscrowRecord, Labels, WrappedEscrowRecord } from '../model/escrow-record';
import { EscrowAlgorithm } from '../model/wrapping';

export interface RecordRow {
  id: string;
  seq: string;
  vault_id: string;
  vault_name: string;
  key_id: string;
  key_name: string | null;
  key_version: number;
  algorithm: EscrowAlgorithm;
  wrapped?: Buffer;
  dek_bits: number | null;
  owner: string;
  labels: Labels;
  origin: EscrowOrigin;
  rewrap_count: number;
  expires_at: Date | null;
  purged_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const toRecord = (r: RecordRow): EscrowRecord => ({
  id: r.id,
  seq: Number(r.seq),
  vaultId: r.vault_id,
  vault: r.vault_name,
  keyId: r.key_id,
  keyName: r.key_name,
  keyVersion: r.key_version,
  algorithm: r.algorithm,
  dekBits: r.dek_bits,
  owner: r.owner,
  labels: r.labels,
  origin: r.origin,
  rewrapCount: r.rewrap_count,
  expiresAt: r.expires_at,
  purgedAt: r.purged_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const RECORD_COLUMNS = `r.id, r.seq, r.vault_id, v.name AS vault_name, r.key_id, k.name AS key_name, r.key_version, r.algorithm,
  r.dek_bits, r.owner, r.labels, r.origin, r.rewrap_count, r.expires_at, r.purged_at, r.created_at, r.updated_at`;
const FROM = 'escrow_records r JOIN vaults v ON v.id = r.vault_id LEFT JOIN keys k ON k.id = r.key_id';

export interface NewEscrowRecord {
  id: string;
  vaultId: string;
  keyId: string;
  keyVersion: number;
  algorithm: EscrowAlgorithm;
  wrapped: Buffer;
  dekBits: number | null;
  owner: string;
  labels: Labels;
  origin: EscrowOrigin;
  createdBy: string;
  /** The caller's choice; absent: the key's default lifetime (setEscrowLifetime), if it has one. */
  expiresAt: Date | null;
  now: Date;
}

export interface RecordFilter {
  vaultId: string;
  keyId: string | null;
  keyVersion: number | null;
  owner: string | null;
  labels: Labels | null;
}

/** The slice of a record a re-wrap batch needs. */
export interface RewrapCandidate {
  id: string;
  seq: number;
  keyVersion: number;
  algorithm: string;
  wrapped: Buffer;
}

/** Postgres advisory-lock key of "deposits under this key" (a job's snapshot waits for deposits in flight). */
export const depositLockKey = (keyIdSql: string): string => `hashtextextended('escrow-deposit:' || ${keyIdSql}::text, 0)`;

@Injectable()
export class EscrowRecordRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findWrapped(id: string): Promise<WrappedEscrowRecord | undefined> {
    const rows = (await this.db.query(`SELECT ${RECORD_COLUMNS}, r.wrapped FROM ${FROM} WHERE r.id = $1`, [id])) as RecordRow[];
    return rows[0] && { ...toRecord(rows[0]), wrapped: rows[0].wrapped ?? null };
  }

  /** A key's default lifetime of new records (null: none). */
  async setDefaultLifetime(manager: EntityManager, keyId: string, seconds: number | null): Promise<void> {
    await manager.query('UPDATE keys SET escrow_ttl_seconds = $2 WHERE id = $1', [keyId, seconds]);
  }

  /**
   * Removes the wrapped bytes of up to `limit` records expired at `now` (optionally only in some vaults); returns
   * what it purged. Rows stay, so their ledger history still names them.
   */
  async purgeExpired(manager: EntityManager, now: Date, limit: number, vaults: string[] | null): Promise<Array<{ id: string; vault: string; keyName: string | null }>> {
    const result = (await manager.query(
      // MATERIALIZED: the LIMIT … SKIP LOCKED subquery runs once (see RewrapJobRepository.claimRange).
      `WITH c AS MATERIALIZED (
         SELECT e.id FROM escrow_records e JOIN vaults v ON v.id = e.vault_id
          WHERE e.expires_at <= $1 AND e.purged_at IS NULL AND ($3::text[] IS NULL OR v.name = ANY($3))
          ORDER BY e.expires_at LIMIT $2 FOR UPDATE OF e SKIP LOCKED)
       UPDATE escrow_records r SET wrapped = NULL, purged_at = $1, updated_at = $1 FROM c WHERE r.id = c.id
       RETURNING r.id, (SELECT name FROM vaults WHERE id = r.vault_id) AS vault, (SELECT name FROM keys WHERE id = r.key_id) AS key_name`,
      [now, limit, vaults],
    )) as [Array<{ id: string; vault: string; key_name: string | null }>, number];
    return result[0].map((row) => ({ id: row.id, vault: row.vault, keyName: row.key_name }));
  }

  /** Keyset page by seq. */
  async page(filter: RecordFilter, afterSeq: number | null, limit: number): Promise<EscrowRecord[]> {
    const rows = (await this.db.query(
      `SELECT ${RECORD_COLUMNS} FROM ${FROM}
        WHERE r.vault_id = $1 AND ($2::uuid IS NULL OR r.key_id = $2) AND ($3::int IS NULL OR r.key_version = $3)
          AND ($4::text IS NULL OR r.owner = $4) AND ($5::jsonb IS NULL OR r.labels @> $5) AND ($6::bigint IS NULL OR r.seq > $6)
        ORDER BY r.seq LIMIT $7`,
      [filter.vaultId, filter.keyId, filter.keyVersion, filter.owner, filter.labels && JSON.stringify(filter.labels), afterSeq, limit],
    )) as RecordRow[];
    return rows.map(toRecord);
  }
}
