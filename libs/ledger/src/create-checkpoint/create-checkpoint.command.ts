import { Command } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { Checkpoint } from '../checkpoint/signed-checkpoint';

/** Signs a checkpoint over the current head now (or returns the one that already covers it). */
export class CreateCheckpointCommand extends Command<Checkpoint> {
  constructor(readonly caller: AuditCaller) {
    super();
  }
}
