import { Command } from '@nestjs/cqrs';
import { Caller } from '../principals/caller';

export class RevokeApiTokenCommand extends Command<boolean> {
  constructor(
    readonly caller: Caller,
    readonly tokenId: string,
  ) {
    super();
  }
}
