import { Query } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { Checkpoint } from '../checkpoint/signed-checkpoint';
import { LedgerEntry } from '../ledger-entry';

export interface InclusionProof {
  entry: LedgerEntry;
  /** seq - 1 */
  leafIndex: number;
  /** SHA-256(0x00 || entry_hash) */
  leafHash: Buffer;
  /** RFC 9162 audit path, leaf upwards. */
  path: Buffer[];
  checkpoint: Checkpoint;
}

/** Proves that entry `seq` is leaf seq-1 of a signed checkpoint (default: the latest). */
export class GetInclusionProofQuery extends Query<InclusionProof> {
  constructor(
    readonly caller: AuditCaller,
    readonly seq: number,
    readonly treeSize: number | null,
  ) {
    super();
  }
}
