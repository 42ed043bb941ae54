import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { RewrapJob } from '../model/rewrap-job';

/** Another pass over the job's failed records (e.g. after the cause was fixed). */
export class RetryRewrapFailuresCommand extends Command<RewrapJob> {
  constructor(
    readonly caller: Caller,
    readonly id: string,
  ) {
    super();
  }
}
