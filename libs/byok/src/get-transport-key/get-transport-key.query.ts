import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { TransportKeyView } from '../model/transport-key-view';

/** Permission: manageTransportKeys or import. */
export class GetTransportKeyQuery extends Query<TransportKeyView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly kid: string,
  ) {
    super();
  }
}
