import { Query } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { Checkpoint } from '../checkpoint/signed-checkpoint';

export interface ConsistencyProof {
  from: Checkpoint;
  to: Checkpoint;
  /** RFC 9162 consistency proof from from.treeSize to to.treeSize. */
  path: Buffer[];
}

/** Proves that the checkpoint of `toSize` entries (default: the latest) extends the one of `fromSize`. */
export class GetConsistencyProofQuery extends Query<ConsistencyProof> {
  constructor(
    readonly caller: AuditCaller,
    readonly fromSize: number,
    readonly toSize: number | null,
  ) {
    super();
  }
}
