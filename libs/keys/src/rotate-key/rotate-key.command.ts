import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';

/** Creates a new version of the key with the same type and key_ops (requires the create permission). */
export class RotateKeyCommand extends Command<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
  ) {
    super();
  }
}
