import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LedgerEntryInput, LedgerIntegrator, queueInsert } from '@keybridge/ledger';
import { AppConfig, Clock, GroupCommit } from '@keybridge/platform';
import { DataSource } from 'typeorm';
import { EscrowRecord } from '../model/escrow-record';
import { depositLockKey, NewEscrowRecord, RecordRow, RECORD_COLUMNS, toRecord } from './escrow-record.repository';

interface Deposit {
  record: NewEscrowRecord;
  entry: LedgerEntryInput;
}

/** Parameters 1..15 are the ledger queue insert's; the records' follow. */
const FIRST_RECORD_PARAM = 16;

/**
 * Commits new escrow records with their ledger entries, many callers' at a time: one statement per batch inserts
 * every record and queues every entry (a unit-of-work group commit — one round trip and one WAL flush for the whole
 * batch, where each caller's own transaction took six round trips and a flush). Each record and its entry are in the
 * same statement, so they commit together or not at all; a batch the database refuses is written again one record
 * at a time, so one bad record fails alone (GroupCommit). Deposits and generated data keys are the state changes
 * Keybridge sees most of: docs/ledger.md has the measurements.
 *
 * Each record takes the shared "deposits under this key" lock of its key first, so a re-wrap job's snapshot sees
 * every deposit that committed before it and none that took its seq after (RewrapJobRepository.snapshot).
 */
@Injectable()
export class EscrowRecordWriter {
  private readonly group: GroupCommit<Deposit, EscrowRecord>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
    config: AppConfig,
    integrator: LedgerIntegrator,
  ) {
    this.group = new GroupCommit((deposits) => this.write(deposits), config.values.KEYBRIDGE_LEDGER_BATCH_MAX, () => integrator.nudge());
  }

  /**
   * The stored record. A key purged since it was checked still gets the record (without a key name: it can never be
   * released), as when the purge comes right after: records have no foreign key to their key by design.
   */
  insert(record: NewEscrowRecord, entry: LedgerEntryInput): Promise<EscrowRecord> {
    return this.group.submit({ record, entry });
  }

  private async write(deposits: Deposit[]): Promise<EscrowRecord[]> {
    const ledger = queueInsert(
      deposits.map((d) => d.entry),
      this.clock.now(),
      1,
    );
    const p = (i: number): string => `$${FIRST_RECORD_PARAM + i}`;
    const records = deposits.map((d) => d.record);
    const rows = (await this.db.query(
      `WITH u AS MATERIALIZED (
         SELECT u.*, k.escrow_ttl_seconds
           FROM unnest(${p(0)}::uuid[], ${p(1)}::uuid[], ${p(2)}::uuid[], ${p(3)}::int[], ${p(4)}::text[], ${p(5)}::bytea[], ${p(6)}::int[],
                       ${p(7)}::text[], ${p(8)}::jsonb[], ${p(9)}::text[], ${p(10)}::text[], ${p(11)}::timestamptz[], ${p(12)}::timestamptz[])
                WITH ORDINALITY AS u(id, vault_id, key_id, key_version, algorithm, wrapped, dek_bits, owner, labels, origin, created_by, now, expires_at, ord)
           LEFT JOIN keys k ON k.id = u.key_id
           CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock_shared(${depositLockKey('u.key_id')})) AS deposit_lock
       ),
       ins AS (
         INSERT INTO escrow_records (id, vault_id, key_id, key_version, algorithm, wrapped, dek_bits, owner, labels, origin, created_by, created_at, updated_at, expires_at)
         SELECT id, vault_id, key_id, key_version, algorithm, wrapped, dek_bits, owner, labels, origin, created_by, now, now,
                COALESCE(expires_at, now + escrow_ttl_seconds * interval '1 second')
           FROM u ORDER BY ord
         RETURNING *
       ),
       queued AS (${ledger.sql} RETURNING queue_id)
       SELECT ${RECORD_COLUMNS} FROM ins r JOIN vaults v ON v.id = r.vault_id LEFT JOIN keys k ON k.id = r.key_id`,
      [
        ...ledger.params,
        records.map((r) => r.id),
        records.map((r) => r.vaultId),
        records.map((r) => r.keyId),
        records.map((r) => r.keyVersion),
        records.map((r) => r.algorithm),
        records.map((r) => r.wrapped),
        records.map((r) => r.dekBits),
        records.map((r) => r.owner),
        records.map((r) => JSON.stringify(r.labels)),
        records.map((r) => r.origin),
        records.map((r) => r.createdBy),
        records.map((r) => r.now),
        records.map((r) => r.expiresAt),
      ],
    )) as RecordRow[];
    const byId = new Map(rows.map((r) => [r.id, toRecord(r)]));
    return records.flatMap((r) => byId.get(r.id) ?? []);
  }
}
