import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';

/** Removes a webhook and its delivery log. Admin. */
export class DeleteWebhookCommand extends Command<boolean> {
  constructor(
    readonly caller: Caller,
    readonly name: string,
  ) {
    super();
  }
}
