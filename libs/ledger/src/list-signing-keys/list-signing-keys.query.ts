import { Query } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { SigningKeyRecord } from '../checkpoint/checkpoint.repository';

/** The public halves of the ledger's checkpoint signing keys, newest first. */
export class ListSigningKeysQuery extends Query<SigningKeyRecord[]> {
  constructor(readonly caller: AuditCaller) {
    super();
  }
}
