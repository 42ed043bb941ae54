import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { invalidLedgerArgument } from '../ledger.errors';
import { positiveSeq } from '../read/entry-page';
import { LedgerVerification, LedgerVerifier } from './ledger-verifier';
import { VerifyLedgerQuery } from './verify-ledger.query';

@QueryHandler(VerifyLedgerQuery)
export class VerifyLedgerHandler implements IQueryHandler<VerifyLedgerQuery> {
  constructor(
    private readonly verifier: LedgerVerifier,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, from, to }: VerifyLedgerQuery): Promise<LedgerVerification> {
    const meta = { ctx: caller, operation: 'verifyLedger', vault: null, details: { from, to } };
    return this.audit.run(meta, async () => {
      requireAuditRead(caller);
      const first = positiveSeq(from, 'from');
      const last = positiveSeq(to, 'to');
      if (first !== undefined && last !== undefined && first > last) throw invalidLedgerArgument('from must not exceed to', 'from');
      return this.verifier.verify(first, last);
    });
  }
}
