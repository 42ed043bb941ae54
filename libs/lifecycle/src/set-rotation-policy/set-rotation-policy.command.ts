import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { RotationPolicy } from '../policy/rotation-policy';

/** Sets (or replaces) a key's rotation policy. Permission: update; with rewrapEscrow also manageJobs and escrowRelease. */
export class SetRotationPolicyCommand extends Command<RotationPolicy> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
    readonly policy: RotationPolicy,
  ) {
    super();
  }
}
