import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { CheckpointRepository, SigningKeyRecord } from '../checkpoint/checkpoint.repository';
import { ListSigningKeysQuery } from './list-signing-keys.query';

@QueryHandler(ListSigningKeysQuery)
export class ListSigningKeysHandler implements IQueryHandler<ListSigningKeysQuery> {
  constructor(
    private readonly checkpoints: CheckpointRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller }: ListSigningKeysQuery): Promise<SigningKeyRecord[]> {
    return this.audit.run({ ctx: caller, operation: 'listLedgerSigningKeys', vault: null }, async () => {
      requireAuditRead(caller);
      return this.checkpoints.keys();
    });
  }
}
