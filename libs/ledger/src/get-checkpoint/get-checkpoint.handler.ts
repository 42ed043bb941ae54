import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { CheckpointRepository } from '../checkpoint/checkpoint.repository';
import { Checkpoint } from '../checkpoint/signed-checkpoint';
import { LedgerError, LedgerErrorCode } from '../ledger.errors';
import { positiveSeq } from '../read/entry-page';
import { GetCheckpointQuery } from './get-checkpoint.query';

@QueryHandler(GetCheckpointQuery)
export class GetCheckpointHandler implements IQueryHandler<GetCheckpointQuery> {
  constructor(
    private readonly checkpoints: CheckpointRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, treeSize }: GetCheckpointQuery): Promise<Checkpoint> {
    const meta = { ctx: caller, operation: 'getCheckpoint', vault: null, details: { treeSize } };
    return this.audit.run(meta, async () => {
      requireAuditRead(caller);
      const size = positiveSeq(treeSize, 'treeSize');
      return findCheckpoint(this.checkpoints, size);
    });
  }
}

export async function findCheckpoint(checkpoints: CheckpointRepository, treeSize: number | undefined): Promise<Checkpoint> {
  const cp = treeSize === undefined ? await checkpoints.latest() : await checkpoints.bySize(treeSize);
  if (!cp) {
    throw new LedgerError(
      LedgerErrorCode.CHECKPOINT_NOT_FOUND,
      treeSize === undefined ? 'no checkpoint has been signed yet' : `no checkpoint of tree size ${treeSize}`,
    );
  }
  return cp;
}
