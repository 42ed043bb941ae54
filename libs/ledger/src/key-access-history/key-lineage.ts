import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KeySegment } from '../read/audit-filter';

/** Transfers chained back further than this are not followed (a cycle guard; real chains are short). */
const MAX_HOPS = 32;

/**
 * Where one key has lived: the (vault, name) pairs it had, each with the seq range during which it had it.
 * The history of a key is the union of its segments' entries, so it survives moves between vaults.
 *
 * A transfer (libs/transfer) records the source, the target and its 'transferKeyIn' entry (by queue id; the seq once
 * integrated) in key_transfers. The source's own 'transferKey' entry commits in the same transaction right after it
 * (the integrator keeps a transaction's entries consecutive), so the source segment ends there. Callers settle the
 * ledger first: a transfer whose entry is not integrated yet is not followed. Walking back:
 *   [{ vault: b, keyName: k2 }, { vault: a, keyName: k, toSeq: s1 + 1 }, …]
 */
@Injectable()
export class KeyLineage {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async segments(vault: string, keyName: string): Promise<KeySegment[]> {
    const segments: KeySegment[] = [{ vault, keyName }];
    let current = { vault, keyName, before: Number.MAX_SAFE_INTEGER };
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const rows = (await this.db.query(
        `SELECT t.source_vault, t.source_name, coalesce(t.ledger_seq, e.seq) AS ledger_seq
           FROM key_transfers t LEFT JOIN ledger_entries e ON e.queue_id = t.ledger_queue_id
          WHERE t.target_vault = $1 AND t.target_name = $2 AND coalesce(t.ledger_seq, e.seq) < $3 ORDER BY 3 DESC LIMIT 1`,
        [current.vault, current.keyName, current.before],
      )) as Array<{ source_vault: string; source_name: string; ledger_seq: string }>;
      const row = rows[0];
      if (!row) break;
      const seq = Number(row.ledger_seq);
      segments.push({ vault: row.source_vault, keyName: row.source_name, toSeq: seq + 1 });
      current = { vault: row.source_vault, keyName: row.source_name, before: seq };
    }
    return segments;
  }
}
