import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface NewKeyTransfer {
  kind: 'transfer' | 'restore';
  sourceVault: string;
  sourceName: string;
  targetVault: string;
  targetName: string;
  versions: number[];
  mode: 'copy' | 'move' | 'restore';
  principalId: string | null;
  /** The queue id of the target's ledger entry (its seq is found once it is integrated). */
  ledgerQueueId: number;
  now: Date;
}

/** Where keys came from: one row per transfer or restore, for the key's audit lineage. */
@Injectable()
export class KeyTransferRepository {
  async insert(manager: EntityManager, t: NewKeyTransfer): Promise<void> {
    await manager.query(
      `INSERT INTO key_transfers (kind, source_vault, source_name, target_vault, target_name, versions, mode, principal_id, ledger_queue_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [t.kind, t.sourceVault, t.sourceName, t.targetVault, t.targetName, t.versions, t.mode, t.principalId, t.ledgerQueueId, t.now],
    );
  }
}
