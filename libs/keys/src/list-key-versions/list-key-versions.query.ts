import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';
import { Page } from '../model/page';

/** Versions of one live key, newest first. */
export class ListKeyVersionsQuery extends Query<Page<KeyView>> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
    readonly first: number | null,
    readonly after: string | null,
  ) {
    super();
  }
}
