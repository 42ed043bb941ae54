import { randomUUID } from 'node:crypto';
import { Controller, Get, Logger, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { trace } from '@opentelemetry/api';
import { Authenticator, callerContext } from '@keybridge/auth';
import { ExportLedgerCommand } from '@keybridge/ledger';
import { DomainError } from '@keybridge/platform';
import { Request, Response } from 'express';
import { presentedCertificate } from '../auth/client-certificate';
import { DomainErrorCode, graphqlErrorCode } from '../errors/graphql-error-code';

const STATUS: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, INVALID_ARGUMENT: 400, LEDGER_UNAVAILABLE: 503 };
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function seqParam(value: string | undefined, name: string): number | null {
  if (value === undefined || value === '') return null;
  if (!/^\d{1,15}$/.test(value)) throw new RangeError(`${name} must be a positive integer`);
  return Number(value);
}

/**
 * GET /ledger/export?from=&to= — the ledger as NDJSON (header line, then one entry per line with its hashes), for
 * `keybridge ledger verify`. Bearer token of a principal with auditRead or admin; the export is itself recorded
 * before the first line is sent. Streams with backpressure, one page of entries in memory at a time.
 * HTTP routes are not covered by the GraphQL guard and filter, so this one authenticates and answers errors itself.
 */
@Controller('ledger')
export class LedgerExportController {
  private readonly logger = new Logger(LedgerExportController.name);

  constructor(
    private readonly authenticator: Authenticator,
    private readonly commands: CommandBus,
  ) {}

  @Get('export')
  async export(@Req() req: Request, @Res() res: Response, @Query('from') from?: string, @Query('to') to?: string): Promise<void> {
    try {
      const principal = await this.authenticator.authenticate(req.headers.authorization, presentedCertificate(req.socket));
      const header = req.headers['x-request-id'];
      const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
      const caller = callerContext(principal, requestId, trace.getActiveSpan()?.spanContext().traceId);
      let range: { from: number | null; to: number | null };
      try {
        range = { from: seqParam(from, 'from'), to: seqParam(to, 'to') };
      } catch (e) {
        res.status(400).json({ error: { code: 'INVALID_ARGUMENT', message: (e as Error).message } });
        return;
      }
      const exported = await this.commands.execute(new ExportLedgerCommand(caller, range.from, range.to, 'http'));
      res.status(200).type('application/x-ndjson').setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Ledger-From', String(exported.from));
      res.setHeader('X-Ledger-To', String(exported.to));
      for await (const line of exported.lines) {
        if (res.destroyed) return;
        if (!res.write(`${line}\n`)) await new Promise<void>((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
      res.end();
    } catch (error) {
      if (res.headersSent) {
        // Mid-stream failure: cut the connection so the client cannot mistake a partial export for a whole one.
        this.logger.error(`ledger export aborted: ${error instanceof Error ? error.message : String(error)}`);
        res.destroy();
        return;
      }
      if (error instanceof DomainError) {
        const code = graphqlErrorCode(error.code as DomainErrorCode);
        res.status(STATUS[code] ?? 500).json({ error: { code, message: error.message } });
        return;
      }
      this.logger.error(`ledger export failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
    }
  }
}
