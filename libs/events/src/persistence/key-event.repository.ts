import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { KeyEvent, KeyEventInput, KeyEventKind } from '../key-event';

interface EventRow {
  id: string;
  kind: KeyEventKind;
  vault: string | null;
  key_name: string | null;
  key_version: number | null;
  data: KeyEvent['data'];
  /** Null until the event's ledger entry is integrated into the chain (normally well under a second). */
  ledger_seq: string | null;
  trace_parent: string | null;
  created_at: Date;
}

/** An event's columns with the seq of its ledger entry, found through the entry's queue id once integrated. */
const EVENT = `k.id, k.kind, k.vault, k.key_name, k.key_version, k.data, k.trace_parent, k.created_at, coalesce(k.ledger_seq, le.seq) AS ledger_seq
  FROM key_events k LEFT JOIN ledger_entries le ON le.queue_id = k.ledger_queue_id`;

export const toEvent = (r: EventRow): KeyEvent => ({
  id: Number(r.id),
  kind: r.kind,
  vault: r.vault,
  keyName: r.key_name,
  keyVersion: r.key_version,
  data: r.data,
  ledgerSeq: r.ledger_seq === null ? null : Number(r.ledger_seq),
  traceParent: r.trace_parent,
  createdAt: r.created_at,
});

@Injectable()
export class KeyEventRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Undefined when an event with this dedupe key exists already. */
  async insert(manager: EntityManager, e: KeyEventInput, traceParent: string | null, now: Date): Promise<KeyEvent | undefined> {
    const rows = (await manager.query(
      `INSERT INTO key_events (kind, vault, key_name, key_version, dedupe_key, data, trace_parent, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
      [e.kind, e.vault, e.keyName, e.keyVersion, e.dedupeKey, JSON.stringify(e.data), traceParent, now],
    )) as EventRow[];
    return rows[0] && toEvent(rows[0]);
  }

  async setLedgerQueueId(manager: EntityManager, id: number, queueId: number): Promise<void> {
    await manager.query('UPDATE key_events SET ledger_queue_id = $2 WHERE id = $1', [id, queueId]);
  }

  async lastId(): Promise<number> {
    const rows = (await this.db.query('SELECT COALESCE(max(id), 0) AS id FROM key_events')) as Array<{ id: string }>;
    return Number(rows[0].id);
  }

  async exists(dedupeKey: string): Promise<boolean> {
    const rows = (await this.db.query('SELECT 1 FROM key_events WHERE dedupe_key = $1', [dedupeKey])) as unknown[];
    return rows.length > 0;
  }

  /** Newest first, optionally only of some vaults (null: every vault, for admins and auditors). */
  async page(vaults: string[] | null, kinds: string[] | null, afterId: number | null, limit: number): Promise<KeyEvent[]> {
    const rows = (await this.db.query(
      `SELECT ${EVENT} WHERE ($1::text[] IS NULL OR k.vault = ANY($1)) AND ($2::text[] IS NULL OR k.kind = ANY($2))
          AND ($3::bigint IS NULL OR k.id > $3) ORDER BY k.id LIMIT $4`,
      [vaults, kinds, afterId, limit],
    )) as EventRow[];
    return rows.map(toEvent);
  }
}
