import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';

/** Soft delete: every version stops working; the key can be recovered until it is purged. */
export class DeleteKeyCommand extends Command<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
  ) {
    super();
  }
}
