import { Query } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';
import { LedgerVerification } from './ledger-verifier';

/** Verifies entries from..to (default: the whole ledger) and every checkpoint they cover, server-side. */
export class VerifyLedgerQuery extends Query<LedgerVerification> {
  constructor(
    readonly caller: AuditCaller,
    readonly from: number | null,
    readonly to: number | null,
  ) {
    super();
  }
}
