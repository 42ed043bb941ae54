import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';

export class GetKeyQuery extends Query<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
    readonly version: string | null,
  ) {
    super();
  }
}
