import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { RewrapJob } from '../model/rewrap-job';

export class CancelRewrapJobCommand extends Command<RewrapJob> {
  constructor(
    readonly caller: Caller,
    readonly id: string,
  ) {
    super();
  }
}
