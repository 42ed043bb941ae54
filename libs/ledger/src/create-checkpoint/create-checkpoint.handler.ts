import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { LedgerCheckpointer } from '../checkpoint/ledger-checkpointer';
import { Checkpoint } from '../checkpoint/signed-checkpoint';
import { LedgerError, LedgerErrorCode } from '../ledger.errors';
import { CreateCheckpointCommand } from './create-checkpoint.command';

@CommandHandler(CreateCheckpointCommand)
export class CreateCheckpointHandler implements ICommandHandler<CreateCheckpointCommand> {
  constructor(
    private readonly checkpointer: LedgerCheckpointer,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller }: CreateCheckpointCommand): Promise<Checkpoint> {
    // The entry for this call is appended after the checkpoint is signed, so the checkpoint never covers it.
    return this.audit.run({ ctx: caller, operation: 'createCheckpoint', vault: null }, async () => {
      requireAuditRead(caller);
      const cp = await this.checkpointer.checkpoint();
      if (!cp) throw new LedgerError(LedgerErrorCode.CHECKPOINT_NOT_FOUND, 'the ledger is empty');
      return cp;
    });
  }
}
