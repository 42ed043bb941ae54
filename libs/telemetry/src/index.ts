export * from './start-telemetry';
export * from './metrics/metric-names';
export * from './metrics/keybridge-metrics';
export * from './logging/log-options';
export * from './tracing/linked-spans';
