import { Global, Module } from '@nestjs/common';
import { LedgerWriter } from './append/ledger-writer';
import { LedgerReader } from './read/ledger-reader';
import { AuditTrail } from './audit/audit-trail';
import { LedgerIntegrator } from './integrate/ledger-integrator';

@Global()
@Module({
  providers: [LedgerWriter, LedgerIntegrator, LedgerReader, AuditTrail],
  exports: [LedgerWriter, LedgerIntegrator, LedgerReader, AuditTrail],
})
export class LedgerModule {}
