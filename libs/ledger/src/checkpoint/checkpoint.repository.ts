import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Checkpoint, CHECKPOINT_ALGORITHM, SigningKeyPublic } from './signed-checkpoint';
import { Queryable } from '../queryable';


interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  signed_at: Date;
  key_id: string;
  signature: Buffer;
}

interface SigningKeyRow {
  key_id: string;
  pool: string;
  hsm_object_id: string;
  public_jwk: SigningKeyPublic['jwk'];
  public_pem: string;
  created_at: Date;
}

export interface SigningKeyRecord extends SigningKeyPublic {
  pool: string;
  hsmObjectId: string;
  createdAt: Date;
}

const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  treeSize: Number(r.tree_size),
  rootHash: r.root_hash,
  signedAt: r.signed_at,
  keyId: r.key_id,
  signature: r.signature,
});

const toKey = (r: SigningKeyRow): SigningKeyRecord => ({
  keyId: r.key_id,
  algorithm: CHECKPOINT_ALGORITHM,
  jwk: r.public_jwk,
  pem: r.public_pem,
  pool: r.pool,
  hsmObjectId: r.hsm_object_id,
  createdAt: r.created_at,
});

/** Signed checkpoints and the ledger signing keys (both append-only tables). */
@Injectable()
export class CheckpointRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async latest(db: Queryable = this.dataSource): Promise<Checkpoint | undefined> {
    const rows = (await db.query('SELECT * FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1')) as CheckpointRow[];
    return rows[0] && toCheckpoint(rows[0]);
  }

  async bySize(treeSize: number): Promise<Checkpoint | undefined> {
    const rows = (await this.dataSource.query('SELECT * FROM ledger_checkpoints WHERE tree_size = $1', [treeSize])) as CheckpointRow[];
    return rows[0] && toCheckpoint(rows[0]);
  }

  /** Checkpoints with after < tree_size <= upTo, smallest first, at most `limit` (a keyset page). */
  async between(after: number, upTo: number, limit: number): Promise<Checkpoint[]> {
    const rows = (await this.dataSource.query(
      'SELECT * FROM ledger_checkpoints WHERE tree_size > $1 AND tree_size <= $2 ORDER BY tree_size LIMIT $3',
      [after, upTo, limit],
    )) as CheckpointRow[];
    return rows.map(toCheckpoint);
  }

  /** Inserts unless a checkpoint of that size exists; returns the stored one either way. */
  async insert(db: Queryable, cp: Checkpoint): Promise<Checkpoint> {
    await db.query(
      `INSERT INTO ledger_checkpoints (tree_size, root_hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tree_size) DO NOTHING`,
      [cp.treeSize, cp.rootHash, cp.signedAt.toISOString(), cp.keyId, cp.signature],
    );
    const rows = (await db.query('SELECT * FROM ledger_checkpoints WHERE tree_size = $1', [cp.treeSize])) as CheckpointRow[];
    return toCheckpoint(rows[0]);
  }

  async newestKeyInPool(pool: string, db: Queryable = this.dataSource): Promise<SigningKeyRecord | undefined> {
    const rows = (await db.query('SELECT * FROM ledger_signing_keys WHERE pool = $1 ORDER BY created_at DESC LIMIT 1', [pool])) as SigningKeyRow[];
    return rows[0] && toKey(rows[0]);
  }

  async keys(): Promise<SigningKeyRecord[]> {
    const rows = (await this.dataSource.query('SELECT * FROM ledger_signing_keys ORDER BY created_at DESC')) as SigningKeyRow[];
    return rows.map(toKey);
  }

  async insertKey(db: Queryable, key: SigningKeyRecord): Promise<void> {
    await db.query(
      `INSERT INTO ledger_signing_keys (key_id, algorithm, pool, hsm_object_id, public_jwk, public_pem, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [key.keyId, key.algorithm, key.pool, key.hsmObjectId, JSON.stringify(key.jwk), key.pem, key.createdAt.toISOString()],
    );
  }
}
