import { AsyncLocalStorage } from 'node:async_hooks';
import { Attributes, BatchObservableCallback, Counter, Histogram, Meter, metrics, Observable, ObservableGauge } from '@opentelemetry/api';
import { BATCH_SIZE_BUCKETS, LATENCY_BUCKETS_SECONDS, MetricDescriptor, METRICS } from './metric-names';

const METER_NAME = 'keybridge';

let enabled = false;

/** Set by startTelemetry once a MeterProvider with a reader is registered. */
export function enableMetrics(): void {
  enabled = true;
  get();
}

/**
 * False unless a metrics exporter is configured. Instrumentation points check it first, so a process without
 * metrics pays one branch: no clock reads, no attribute objects, no async-local scope.
 */
export function metricsEnabled(): boolean {
  return enabled;
}

interface Instruments {
  operations: Counter;
  operationDuration: Histogram;
  hsmCalls: Counter;
  hsmCallDuration: Histogram;
  ledgerAppendDuration: Histogram;
  ledgerAppendBatchSize: Histogram;
  ledgerIntegrateDuration: Histogram;
  ledgerIntegrateBatchSize: Histogram;
  overloads: Counter;
}

let instruments: Instruments | undefined;

/** The meter, created on first use: the API has no proxy meter, so a meter taken before the SDK starts stays no-op. */
export function keybridgeMeter(): Meter {
  return metrics.getMeter(METER_NAME);
}

function counter(meter: Meter, m: MetricDescriptor): Counter {
  return meter.createCounter(m.name, { description: m.help, ...(m.unit ? { unit: m.unit } : {}) });
}

function histogram(meter: Meter, m: MetricDescriptor, buckets: number[]): Histogram {
  return meter.createHistogram(m.name, { description: m.help, ...(m.unit ? { unit: m.unit } : {}), advice: { explicitBucketBoundaries: buckets } });
}

/** Observable gauges are created where their values live (session pools, the worker's gauges). */
export function observableGauge(m: MetricDescriptor): ObservableGauge {
  return keybridgeMeter().createObservableGauge(m.name, { description: m.help, ...(m.unit ? { unit: m.unit } : {}) });
}

/** Registers one callback for several gauges; returns the function that removes it. No-op without metrics. */
export function observeBatch(gauges: Observable[], callback: BatchObservableCallback): () => void {
  if (!enabled) return () => undefined;
  const meter = keybridgeMeter();
  meter.addBatchObservableCallback(callback, gauges);
  return () => meter.removeBatchObservableCallback(callback, gauges);
}

function get(): Instruments {
  if (!instruments) {
    const meter = keybridgeMeter();
    instruments = {
      operations: counter(meter, METRICS.operations),
      operationDuration: histogram(meter, METRICS.operationDuration, LATENCY_BUCKETS_SECONDS),
      hsmCalls: counter(meter, METRICS.hsmCalls),
      hsmCallDuration: histogram(meter, METRICS.hsmCallDuration, LATENCY_BUCKETS_SECONDS),
      ledgerAppendDuration: histogram(meter, METRICS.ledgerAppendDuration, LATENCY_BUCKETS_SECONDS),
      ledgerAppendBatchSize: histogram(meter, METRICS.ledgerAppendBatchSize, BATCH_SIZE_BUCKETS),
      ledgerIntegrateDuration: histogram(meter, METRICS.ledgerIntegrateDuration, LATENCY_BUCKETS_SECONDS),
      ledgerIntegrateBatchSize: histogram(meter, METRICS.ledgerIntegrateBatchSize, BATCH_SIZE_BUCKETS),
      overloads: counter(meter, METRICS.overloads),
    };
    // every resource shows from the start (at 0), so alerts and dashboards need no absent() special case
    for (const resource of OVERLOADED_RESOURCES) instruments.overloads.add(0, { resource });
  }
  return instruments;
}

/** Seconds since a `performance.now()` reading. */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}

/**
 * Which HSM pool an audited operation used: the HSM adapter notes the pool of its first call, the audit trail
 * reads it when the operation ends. An operation without an HSM call (RSA public-key work in the gateway, reads
 * of Postgres) stays `none`.
 */
interface OperationScope {
  pool: string | undefined;
}

const operationScope = new AsyncLocalStorage<OperationScope>();

export type OperationOutcome = 'success' | 'denied' | 'failed';

/**
 * Runs an audited operation and counts it (operation, outcome, pool) with its duration. Without metrics it only
 * runs the body. `outcomeOf` classifies a thrown error.
 */
export async function measureOperation<T>(operation: string, outcomeOf: (error: unknown) => OperationOutcome, body: () => Promise<T>): Promise<T> {
  if (!enabled) return body();
  const scope: OperationScope = { pool: undefined };
  const started = performance.now();
  let outcome: OperationOutcome = 'success';
  try {
    return await operationScope.run(scope, body);
  } catch (error) {
    outcome = outcomeOf(error);
    throw error;
  } finally {
    const attributes: Attributes = { operation, outcome, pool: scope.pool ?? 'none' };
    const m = get();
    m.operations.add(1, attributes);
    m.operationDuration.record(secondsSince(started), attributes);
  }
}

/** Called by the HSM adapter for every call of a configured pool: the first pool of an operation labels it. */
export function noteOperationPool(pool: string): void {
  const scope = operationScope.getStore();
  if (scope && scope.pool === undefined) scope.pool = pool;
}

export function recordHsmCall(pool: string, operation: string, outcome: string, seconds: number): void {
  if (!enabled) return;
  const attributes: Attributes = { pool, operation, outcome };
  const m = get();
  m.hsmCalls.add(1, attributes);
  m.hsmCallDuration.record(seconds, attributes);
}

export type LedgerAppendMode = 'group' | 'transaction';

export function recordLedgerAppend(mode: LedgerAppendMode, entries: number, ok: boolean, seconds: number): void {
  if (!enabled) return;
  const m = get();
  m.ledgerAppendDuration.record(seconds, { mode, outcome: ok ? 'ok' : 'error' });
  if (ok) m.ledgerAppendBatchSize.record(entries, { mode });
}

/** One integration transaction that moved `entries` queue entries into the chain. */
export function recordLedgerIntegration(entries: number, seconds: number): void {
  if (!enabled) return;
  const m = get();
  m.ledgerIntegrateDuration.record(seconds);
  m.ledgerIntegrateBatchSize.record(entries);
}

const OVERLOADED_RESOURCES = ['database', 'hsm', 'gateway'] as const;

export function recordOverload(resource: (typeof OVERLOADED_RESOURCES)[number]): void {
  if (!enabled) return;
  get().overloads.add(1, { resource });
}
