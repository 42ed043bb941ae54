import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Queryable } from '../queryable';


export interface StoredNode {
  level: number;
  index: number;
  hash: Buffer;
}

/**
 * `ledger_merkle_nodes` holds the hash of every aligned complete subtree of 2^10 leaves or more that a checkpoint
 * has covered (a few rows per thousand entries). They never change once complete, so a new checkpoint only
 * hashes the entries since the last one, and proofs read O(log n) rows plus at most two 1024-entry chunks.
 */
@Injectable()
export class MerkleNodeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async storedChunks(level: number, db: Queryable = this.dataSource): Promise<number> {
    const rows = (await db.query('SELECT COALESCE(max(idx) + 1, 0) AS n FROM ledger_merkle_nodes WHERE level = $1', [level])) as Array<{ n: string }>;
    return Number(rows[0].n);
  }

  async nodes(keys: Array<{ level: number; index: number }>, db: Queryable = this.dataSource): Promise<Map<string, Buffer>> {
    if (keys.length === 0) return new Map();
    const rows = (await db.query(
      'SELECT level, idx, hash FROM ledger_merkle_nodes WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    )) as Array<{ level: number; idx: string; hash: Buffer }>;
    return new Map(rows.map((r) => [`${r.level}/${r.idx}`, r.hash]));
  }

  async insert(db: Queryable, nodes: StoredNode[]): Promise<void> {
    if (nodes.length === 0) return;
    await db.query(
      `INSERT INTO ledger_merkle_nodes (level, idx, hash)
       SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[]) ON CONFLICT (level, idx) DO NOTHING`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)],
    );
  }

  /** entry_hash of seq first..last (inclusive), in order; throws if any is missing (the chain has a gap). */
  async entryHashes(first: number, last: number, db: Queryable = this.dataSource): Promise<Buffer[]> {
    if (last < first) return [];
    const rows = (await db.query('SELECT seq, entry_hash FROM ledger_entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq', [first, last])) as Array<{
      seq: string;
      entry_hash: Buffer;
    }>;
    if (rows.length !== last - first + 1) {
      const missing = rows.findIndex((r, i) => Number(r.seq) !== first + i);
      throw new Error(`ledger entry ${missing < 0 ? first + rows.length : first + missing} is missing`);
    }
    return rows.map((r) => r.entry_hash);
  }
}
