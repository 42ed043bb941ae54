import { Global, Module } from '@nestjs/common';
import { LedgerWriter } from './append/ledger-writer';
import { LedgerReader } from './read/ledger-reader';
import { AuditTrail } from './audit/audit-trail';

@Global()
@Module({ providers: [LedgerWriter, LedgerReader, AuditTrail], exports: [LedgerWriter, LedgerReader, AuditTrail] })
export class LedgerModule {}
