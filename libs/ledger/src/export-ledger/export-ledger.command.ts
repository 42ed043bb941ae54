import { Command } from '@nestjs/cqrs';
import { AuditCaller } from '../access/audit-access';

export interface LedgerExport {
  from: number;
  to: number;
  /** NDJSON lines (header first), produced page by page as they are consumed. */
  lines: AsyncIterable<string>;
}

/** Authorises and records an export of entries from..to; the lines are read only when consumed. */
export class ExportLedgerCommand extends Command<LedgerExport> {
  constructor(
    readonly caller: AuditCaller,
    readonly from: number | null,
    readonly to: number | null,
    readonly via: 'http' | 'cli',
  ) {
    super();
  }
}
