import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';
import { Page } from '../model/page';

/** Live keys (or, with `deleted`, soft-deleted ones) of a vault by name, each as its latest version. */
export class ListKeysQuery extends Query<Page<KeyView>> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly deleted: boolean,
    readonly first: number | null,
    readonly after: string | null,
  ) {
    super();
  }
}
