import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { Vault } from '../model/key';

export class CreateVaultCommand extends Command<Vault> {
  constructor(
    readonly caller: Caller,
    readonly name: string,
    readonly pool: string,
  ) {
    super();
  }
}
