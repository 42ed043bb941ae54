import { Injectable } from '@nestjs/common';
import { Clock } from '@keybridge/platform';
import { LedgerReader } from '../read/ledger-reader';
import { exportLine, headerLine } from './export-format';

const PAGE = 5000;

/**
 * Streams entries first..last as NDJSON lines (header first), one keyset page at a time, so an export of any size
 * holds one page in memory. Used by the gateway's GET /ledger/export and by `keybridge ledger export`.
 */
@Injectable()
export class LedgerExporter {
  constructor(
    private readonly reader: LedgerReader,
    private readonly clock: Clock,
  ) {}

  /** Resolves the range: `to` defaults to (and is capped at) the head at the time of the call. */
  async range(from: number | null, to: number | null): Promise<{ from: number; to: number }> {
    const head = await this.reader.headSeq();
    return { from: Math.max(1, from ?? 1), to: Math.min(to ?? head, head) };
  }

  async *lines(range: { from: number; to: number }): AsyncGenerator<string> {
    yield headerLine(range.from, range.to, this.clock.now());
    for (let next = range.from; next <= range.to; ) {
      const page = await this.reader.range(next, range.to, PAGE);
      if (page.length === 0) return;
      for (const e of page) yield exportLine(e);
      next = page[page.length - 1].seq + 1;
    }
  }
}
