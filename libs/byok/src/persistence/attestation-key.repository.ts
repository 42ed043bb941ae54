import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PublicKeyJwk } from '@keybridge/hsm';
import { DataSource, EntityManager } from 'typeorm';
import { AttestationKeyRecord } from '../model/transport-key';

interface AttestationKeyRow {
  id: string;
  vault_id: string;
  vault_name: string;
  pool: string;
  hsm_object_id: string;
  public_jwk: Extract<PublicKeyJwk, { kty: 'EC' }>;
  created_at: Date;
}

const toRecord = (r: AttestationKeyRow): AttestationKeyRecord => ({
  id: r.id,
  vaultId: r.vault_id,
  vaultName: r.vault_name,
  pool: r.pool,
  hsmObjectId: r.hsm_object_id,
  publicJwk: r.public_jwk,
  createdAt: r.created_at,
});

const SELECT = 'SELECT a.*, v.name AS vault_name FROM attestation_keys a JOIN vaults v ON v.id = a.vault_id';

@Injectable()
export class AttestationKeyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByVault(vaultId: string, manager: EntityManager = this.db.manager): Promise<AttestationKeyRecord | undefined> {
    const rows = (await manager.query(`${SELECT} WHERE a.vault_id = $1`, [vaultId])) as AttestationKeyRow[];
    return rows[0] && toRecord(rows[0]);
  }

  async findById(id: string, manager: EntityManager = this.db.manager): Promise<AttestationKeyRecord | undefined> {
    const rows = (await manager.query(`${SELECT} WHERE a.id = $1`, [id])) as AttestationKeyRow[];
    return rows[0] && toRecord(rows[0]);
  }

  /** Serialises first-use creation per vault: holds the vault row until the transaction ends. */
  async lockVault(manager: EntityManager, vaultId: string): Promise<void> {
    await manager.query('SELECT id FROM vaults WHERE id = $1 FOR NO KEY UPDATE', [vaultId]);
  }

  async insert(manager: EntityManager, k: { vaultId: string; pool: string; hsmObjectId: string; publicJwk: PublicKeyJwk; createdAt: Date }): Promise<void> {
    await manager.query('INSERT INTO attestation_keys (vault_id, pool, hsm_object_id, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)', [
      k.vaultId,
      k.pool,
      k.hsmObjectId,
      JSON.stringify(k.publicJwk),
      k.createdAt,
    ]);
  }
}
