import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { DataKeyResult } from '../generate-data-key/generate-data-key.command';

/** Unwraps an escrow record in the HSM and returns its data key (permission escrowRelease, key rules of unwrapKey). */
export class ReleaseDataKeyCommand extends Command<DataKeyResult> {
  constructor(
    readonly caller: Caller,
    readonly id: string,
  ) {
    super();
  }
}
