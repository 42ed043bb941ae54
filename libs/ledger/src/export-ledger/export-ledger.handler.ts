import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ADMIN, requireAuditRead } from '../access/audit-access';
import { AuditTrail } from '../audit/audit-trail';
import { invalidLedgerArgument } from '../ledger.errors';
import { positiveSeq } from '../read/entry-page';
import { ExportLedgerCommand, LedgerExport } from './export-ledger.command';
import { LedgerExporter } from './ledger-exporter';

@CommandHandler(ExportLedgerCommand)
export class ExportLedgerHandler implements ICommandHandler<ExportLedgerCommand> {
  constructor(
    private readonly exporter: LedgerExporter,
    private readonly audit: AuditTrail,
  ) {}

  /** The export's own entry commits before the first line is produced. */
  execute({ caller, from, to, via }: ExportLedgerCommand): Promise<LedgerExport> {
    const meta = { ctx: caller, operation: 'exportLedger', vault: null, details: { from, to, via } };
    return this.audit.run(meta, async () => {
      requireAuditRead(caller, [ADMIN]);
      const first = positiveSeq(from, 'from');
      const last = positiveSeq(to, 'to');
      if (first !== undefined && last !== undefined && first > last) throw invalidLedgerArgument('from must not exceed to', 'from');
      const range = await this.exporter.range(first ?? null, last ?? null);
      return { ...range, lines: this.exporter.lines(range) };
    });
  }
}
