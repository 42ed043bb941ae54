import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { metrics as sdkMetrics, NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { enableMetrics } from './metrics/keybridge-metrics';

export interface TelemetryOptions {
  /**
   * The process serves `/metrics` on its own HTTP port (the gateway). The exporter's own server then starts only
   * when OTEL_EXPORTER_PROMETHEUS_PORT is set, so a gateway and a worker on one host do not both claim 9464.
   */
  servesMetricsRoute?: boolean;
}

/** Where the exporter's own server listens unless OTEL_EXPORTER_PROMETHEUS_HOST says otherwise (the spec's localhost). */
const DEFAULT_PROMETHEUS_HOST = '127.0.0.1';

/** instrumentation-http's default list, plus the queue board's token. */
const REDACTED_QUERY_PARAMS = [
  'token',
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
];

let prometheus: PrometheusExporter | undefined;

/**
 * OpenTelemetry, configured only through the standard OTEL_* variables. It must start before Nest and the
 * instrumented libraries load, so entrypoints import it first. Off unless an exporter is configured.
 *
 * A signal whose exporter variable is unset is off unless an OTLP endpoint is configured (the SDK's own default
 * is otlp, which without a collector only retries and fails). Metrics exporters are built here rather than by
 * the SDK so that the Prometheus exporter can also answer on the gateway's own port (`prometheusMetricsHandler`).
 */
export function startTelemetry(serviceName: string, options: TelemetryOptions = {}): void {
  const env = process.env;
  if (env.OTEL_SDK_DISABLED === 'true') return;
  if (!env.OTEL_TRACES_EXPORTER && !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_METRICS_EXPORTER) return;
  env.OTEL_SERVICE_NAME ??= serviceName;
  const otlp = (signal: string): boolean => Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]);
  if (!otlp('TRACES')) env.OTEL_TRACES_EXPORTER ??= 'none';
  if (!otlp('LOGS')) env.OTEL_LOGS_EXPORTER ??= 'none';
  // Loaded lazily: the SDK and instrumentations cost start-up time that processes without telemetry should not pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NodeSDK, metrics } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node') as typeof import('@opentelemetry/auto-instrumentations-node');
  const metricReaders = metricReadersFromEnv(metrics, options, otlp('METRICS'));
  const sdk = new NodeSDK({
    instrumentations: [
      getNodeAutoInstrumentations({
        '@opentelemetry/instrumentation-fs': { enabled: false },
        // url.query of server spans: the queue board takes an API token once as ?token= (the rest are the defaults).
        '@opentelemetry/instrumentation-http': { redactedQueryParamsServer: REDACTED_QUERY_PARAMS },
      }),
    ],
    metricReaders,
  });
  sdk.start();
  if (metricReaders.length > 0) enableMetrics();
  process.once('beforeExit', () => void sdk.shutdown());
}

type MetricReaders = NonNullable<NodeSDKConfiguration['metricReaders']>;

/** OTEL_METRICS_EXPORTER (otlp, prometheus, console, none; comma-separated), as the SDK reads it. */
function metricReadersFromEnv(metrics: typeof sdkMetrics, options: TelemetryOptions, otlpEndpoint: boolean): MetricReaders {
  const env = process.env;
  const names = new Set((env.OTEL_METRICS_EXPORTER ?? (otlpEndpoint ? 'otlp' : 'none')).split(',').map((s) => s.trim()).filter(Boolean));
  if (names.has('none')) return [];
  const readers: MetricReaders = [];
  for (const name of names) {
    if (name === 'prometheus') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
      const ownServer = !options.servesMetricsRoute || Boolean(env.OTEL_EXPORTER_PROMETHEUS_PORT);
      prometheus = new PrometheusExporter(
        { host: env.OTEL_EXPORTER_PROMETHEUS_HOST || DEFAULT_PROMETHEUS_HOST, preventServerStart: !ownServer },
        (error: Error | void) => {
          // Before any logger exists; the process keeps running (the gateway still serves /metrics on its own port).
          if (error) console.error(`keybridge: the Prometheus exporter could not listen (${error.message})`);
        },
      );
      readers.push(prometheus);
    } else if (name === 'console') {
      readers.push(new metrics.PeriodicExportingMetricReader({ exporter: new metrics.ConsoleMetricExporter() }));
    } else if (name === 'otlp') {
      // The SDK's own env helpers (protocol, interval, timeout); sdk-node has no exports map, and its version is pinned.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const utils = require('@opentelemetry/sdk-node/build/src/utils') as typeof import('@opentelemetry/sdk-node/build/src/utils');
      readers.push(utils.getPeriodicExportingMetricReaderFromEnv(utils.getOtlpMetricExporterFromEnv()));
    } else {
      console.error(`keybridge: unsupported OTEL_METRICS_EXPORTER value ${JSON.stringify(name)} (otlp, prometheus, console, none)`);
    }
  }
  return readers;
}

/**
 * The Prometheus text exposition for an HTTP route of the process's own server, or undefined when the
 * Prometheus exporter is not configured.
 */
export function prometheusMetricsHandler(): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
  const exporter = prometheus;
  return exporter && ((req, res) => exporter.getMetricsRequestHandler(req, res));
}
