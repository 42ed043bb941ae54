import { createServer, Server } from 'node:http';

/** One span as the OTLP/HTTP JSON encoding carries it (ids in hex). */
export interface CollectedSpan {
  service: string;
  scope: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, string | number | boolean>;
  links: Array<{ traceId: string; spanId: string }>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{ name: string; traceId: string; spanId: string; parentSpanId?: string; attributes?: OtlpAttribute[]; links?: Array<{ traceId: string; spanId: string }> }>;
    }>;
  }>;
}

const flat = (attributes: OtlpAttribute[] | undefined): Record<string, string | number | boolean> =>
  Object.fromEntries((attributes ?? []).map((a) => [a.key, a.value.stringValue ?? (a.value.intValue !== undefined ? Number(a.value.intValue) : (a.value.boolValue ?? a.value.doubleValue ?? ''))]));

/**
 * An OpenTelemetry collector of this test: it accepts OTLP/HTTP JSON on /v1/traces and keeps every span in memory,
 * so processes started with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT pointing here export to the test.
 */
export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  private server: Server | undefined;

  async start(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        try {
          this.add(JSON.parse(body) as OtlpRequest);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', () => resolve()));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private add(request: OtlpRequest): void {
    for (const rs of request.resourceSpans ?? []) {
      const service = String(flat(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          this.spans.push({
            service,
            scope: ss.scope?.name ?? '',
            name: span.name,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            attributes: flat(span.attributes),
            links: span.links ?? [],
          });
        }
      }
    }
  }
}
