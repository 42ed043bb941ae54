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
  ledger_seq: string;
  created_at: Date;
}

export const toEvent = (r: EventRow): KeyEvent => ({
  id: Number(r.id),
  kind: r.kind,
  vault: r.vault,
  keyName: r.key_name,
  keyVersion: r.key_version,
  data: r.data,
  ledgerSeq: Number(r.ledger_seq),
  createdAt: r.created_at,
});

@Injectable()
export class KeyEventRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Undefined when an event with this dedupe key exists already. */
  async insert(manager: EntityManager, e: KeyEventInput, ledgerSeq: number, now: Date): Promise<KeyEvent | undefined> {
    const rows = (await manager.query(
      `INSERT INTO key_events (kind, vault, key_name, key_version, dedupe_key, data, ledger_seq, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
      [e.kind, e.vault, e.keyName, e.keyVersion, e.dedupeKey, JSON.stringify(e.data), ledgerSeq, now],
    )) as EventRow[];
    return rows[0] && toEvent(rows[0]);
  }

  async setLedgerSeq(manager: EntityManager, id: number, seq: number): Promise<void> {
    await manager.query('UPDATE key_events SET ledger_seq = $2 WHERE id = $1', [id, seq]);
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
      `SELECT * FROM key_events WHERE ($1::text[] IS NULL OR vault = ANY($1)) AND ($2::text[] IS NULL OR kind = ANY($2))
          AND ($3::bigint IS NULL OR id > $3) ORDER BY id LIMIT $4`,
      [vaults, kinds, afterId, limit],
    )) as EventRow[];
    return rows.map(toEvent);
  }
}
