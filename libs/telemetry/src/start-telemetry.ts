/**
 * OpenTelemetry, configured only through the standard OTEL_* variables. It must start before Nest and the
 * instrumented libraries load, so entrypoints import it first. Off unless an exporter is configured.
 */
export function startTelemetry(serviceName: string): void {
  const env = process.env;
  if (env.OTEL_SDK_DISABLED === 'true') return;
  if (!env.OTEL_TRACES_EXPORTER && !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_METRICS_EXPORTER) return;
  env.OTEL_SERVICE_NAME ??= serviceName;
  // Loaded lazily: the SDK and instrumentations cost start-up time that processes without telemetry should not pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node') as typeof import('@opentelemetry/auto-instrumentations-node');
  const sdk = new NodeSDK({
    instrumentations: [getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-fs': { enabled: false } })],
  });
  sdk.start();
  process.once('beforeExit', () => void sdk.shutdown());
}
