import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { AttestationKeyView } from '../model/transport-key-view';

/** The vault's published attestation key, null until its first transport key. Permission: manageTransportKeys, import or get. */
export class GetAttestationKeyQuery extends Query<AttestationKeyView | null> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
  ) {
    super();
  }
}
