import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { TransportKeyView } from '../model/transport-key-view';

/** Newest first; by default only those that can still import. Permission: manageTransportKeys or import. */
export class ListTransportKeysQuery extends Query<TransportKeyView[]> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly includeInactive: boolean,
    readonly first: number | null,
  ) {
    super();
  }
}
