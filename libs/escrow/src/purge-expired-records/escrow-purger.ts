import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LedgerWriter } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { DataSource } from 'typeorm';
import { EscrowRecordRepository } from '../persistence/escrow-record.repository';

const BATCH = 1000;

/**
 * Removes the wrapped bytes of expired escrow records, a batch per transaction, with one ledger entry per record in
 * that transaction ('escrowPurge'). Every earlier entry about the record stays in the ledger: the purge ends the
 * record's life, it does not rewrite its history. Safe in several workers at once (SKIP LOCKED).
 */
@Injectable()
export class EscrowPurger {
  constructor(
    private readonly records: EscrowRecordRepository,
    private readonly ledger: LedgerWriter,
    private readonly clock: Clock,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** `vaults`: only these vaults (an operator's targeted run, or a test's). Returns how many records were purged. */
  async purge(vaults: string[] | null = null): Promise<number> {
    let total = 0;
    for (;;) {
      const purged = await this.db.transaction(async (manager) => {
        const batch = await this.records.purgeExpired(manager, this.clock.now(), BATCH, vaults);
        if (batch.length > 0) {
          await this.ledger.appendWithin(
            manager,
            batch.map((r) => ({
              principalId: 'escrow-purger',
              vault: r.vault,
              keyName: r.keyName,
              keyVersion: null,
              operation: 'escrowPurge',
              outcome: 'success' as const,
              errorCode: null,
              requestId: null,
              traceId: null,
              paramsDigest: null,
              details: { recordId: r.id },
            })),
          );
        }
        return batch.length;
      });
      total += purged;
      if (purged < BATCH) return total;
    }
  }
}
