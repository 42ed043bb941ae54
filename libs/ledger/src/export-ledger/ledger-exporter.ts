import { Injectable } from '@nestjs/common';
import { Clock } from '@keybridge/platform';
import { LedgerIntegrator } from '../integrate/ledger-integrator';
import { LedgerReader } from '../read/ledger-reader';
import { exportLine, headerLine } from './export-format';

const PAGE = 5000;

export interface ExportRange {
  from: number;
  to: number;
  /** Entries committed but not yet in the chain when the export began. */
  pending: number;
}

/**
 * Streams entries first..last as NDJSON lines (header first), one keyset page at a time, so an export of any size
 * holds one page in memory. Used by the gateway's GET /ledger/export and by `keybridge ledger export`.
 */
@Injectable()
export class LedgerExporter {
  constructor(
    private readonly reader: LedgerReader,
    private readonly clock: Clock,
    private readonly integrator: LedgerIntegrator,
  ) {}

  /**
   * Resolves the range: `to` defaults to (and is capped at) the head once everything committed before the call is
   * integrated; `pending` counts the entries committed since, which the export does not hold yet.
   */
  async range(from: number | null, to: number | null): Promise<ExportRange> {
    await this.integrator.settle();
    const head = await this.reader.headSeq();
    const { entries: pending } = await this.reader.pending();
    return { from: Math.max(1, from ?? 1), to: Math.min(to ?? head, head), pending };
  }

  async *lines(range: ExportRange): AsyncGenerator<string> {
    yield headerLine(range, this.clock.now());
    for (let next = range.from; next <= range.to; ) {
      const page = await this.reader.range(next, range.to, PAGE);
      if (page.length === 0) return;
      for (const e of page) yield exportLine(e);
      next = page[page.length - 1].seq + 1;
    }
  }
}
