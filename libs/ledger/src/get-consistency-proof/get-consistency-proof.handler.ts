import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { CheckpointRepository } from '../checkpoint/checkpoint.repository';
import { findCheckpoint } from '../get-checkpoint/get-checkpoint.handler';
import { invalidLedgerArgument } from '../ledger.errors';
import { LedgerTree } from '../merkle/ledger-tree';
import { MerkleProver } from '../merkle/merkle';
import { MerkleNodeRepository } from '../merkle/merkle-node.repository';
import { positiveSeq } from '../read/entry-page';
import { ConsistencyProof, GetConsistencyProofQuery } from './get-consistency-proof.query';

@QueryHandler(GetConsistencyProofQuery)
export class GetConsistencyProofHandler implements IQueryHandler<GetConsistencyProofQuery> {
  constructor(
    private readonly checkpoints: CheckpointRepository,
    private readonly nodes: MerkleNodeRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, fromSize, toSize }: GetConsistencyProofQuery): Promise<ConsistencyProof> {
    const meta = { ctx: caller, operation: 'getConsistencyProof', vault: null, details: { fromSize, toSize } };
    return this.audit.run(meta, async () => {
      requireAuditRead(caller);
      const from = await findCheckpoint(this.checkpoints, positiveSeq(fromSize, 'fromSize'));
      const to = await findCheckpoint(this.checkpoints, positiveSeq(toSize, 'toSize'));
      if (from.treeSize > to.treeSize) throw invalidLedgerArgument('fromSize must not exceed toSize', 'fromSize');
      const path = await new MerkleProver(new LedgerTree(to.treeSize, this.nodes)).consistencyProof(from.treeSize, to.treeSize);
      return { from, to, path };
    });
  }
}
