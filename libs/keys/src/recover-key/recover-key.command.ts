import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';

export class RecoverKeyCommand extends Command<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
  ) {
    super();
  }
}
