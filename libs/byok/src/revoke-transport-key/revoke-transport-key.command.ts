import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { TransportKeyView } from '../model/transport-key-view';

/** Refused at import from now on; the cleanup job destroys its HSM object. Permission: manageTransportKeys. */
export class RevokeTransportKeyCommand extends Command<TransportKeyView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly kid: string,
  ) {
    super();
  }
}
