import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { CheckpointRepository } from '../checkpoint/checkpoint.repository';
import { findCheckpoint } from '../get-checkpoint/get-checkpoint.handler';
import { LedgerError, LedgerErrorCode } from '../ledger.errors';
import { LedgerTree } from '../merkle/ledger-tree';
import { leafHash, MerkleProver } from '../merkle/merkle';
import { MerkleNodeRepository } from '../merkle/merkle-node.repository';
import { positiveSeq } from '../read/entry-page';
import { LedgerReader } from '../read/ledger-reader';
import { GetInclusionProofQuery, InclusionProof } from './get-inclusion-proof.query';

@QueryHandler(GetInclusionProofQuery)
export class GetInclusionProofHandler implements IQueryHandler<GetInclusionProofQuery> {
  constructor(
    private readonly checkpoints: CheckpointRepository,
    private readonly nodes: MerkleNodeRepository,
    private readonly reader: LedgerReader,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, seq, treeSize }: GetInclusionProofQuery): Promise<InclusionProof> {
    const meta = { ctx: caller, operation: 'getInclusionProof', vault: null, details: { seq, treeSize } };
    return this.audit.run(meta, async () => {
      requireAuditRead(caller);
      const entrySeq = positiveSeq(seq, 'seq') as number;
      const checkpoint = await findCheckpoint(this.checkpoints, positiveSeq(treeSize, 'treeSize'));
      const [entry] = entrySeq <= checkpoint.treeSize ? await this.reader.range(entrySeq, entrySeq, 1) : [];
      if (!entry) {
        throw new LedgerError(LedgerErrorCode.LEDGER_ENTRY_NOT_FOUND, `entry ${entrySeq} is not in the checkpoint of ${checkpoint.treeSize} entries`);
      }
      const tree = new LedgerTree(checkpoint.treeSize, this.nodes);
      const path = await new MerkleProver(tree).inclusionProof(entrySeq - 1, checkpoint.treeSize);
      return { entry, leafIndex: entrySeq - 1, leafHash: leafHash(entry.entryHash), path, checkpoint };
    });
  }
}
