import { Query } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { Checkpoint } from '../checkpoint/signed-checkpoint';

/** The checkpoint of exactly `treeSize` entries, or the latest one when `treeSize` is null. */
export class GetCheckpointQuery extends Query<Checkpoint> {
  constructor(
    readonly caller: AuditCaller,
    readonly treeSize: number | null,
  ) {
    super();
  }
}
