import { Controller, Get, Req, Res } from '@nestjs/common';
import { prometheusMetricsHandler } from '@keybridge/telemetry';
import { Request, Response } from 'express';

/**
 * GET /metrics on the gateway's own port (HTTP or HTTPS, like every route), so one scrape target covers the API
 * process. Present only with OTEL_METRICS_EXPORTER=prometheus; like /health it needs no token (counts by
 * operation, outcome and pool, nothing else).
 */
@Controller('metrics')
export class MetricsController {
  private readonly handler = prometheusMetricsHandler();

  @Get()
  metrics(@Req() req: Request, @Res() res: Response): void {
    if (this.handler) this.handler(req, res);
    else res.status(404).end();
  }
}
