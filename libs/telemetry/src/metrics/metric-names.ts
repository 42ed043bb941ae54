/**
 * Every metric Keybridge registers, in one place: the instruments are created from these entries, and the
 * Grafana dashboard test (test/ops/grafana.e2e-spec.ts) checks each PromQL expression against them.
 *
 * Labels are bounded sets: operation names are constants in code, pools come from the pools file, outcomes and
 * states are enums, queues are the three configured queue names. Never key names, vault names, ids or bytes.
 */
export type MetricKind = 'counter' | 'histogram' | 'gauge';

export interface MetricDescriptor {
  name: string;
  kind: MetricKind;
  help: string;
  unit?: string;
  labels: readonly string[];
  /** Which process registers it. */
  process: 'gateway+worker' | 'worker';
}

/** Latency buckets (seconds): PKCS#11 calls take 0.1 ms to seconds (RSA-4096 key generation). */
export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Ledger batch sizes: entries per group-commit statement (KEYBRIDGE_LEDGER_BATCH_MAX, 1000) and per integration (5000). */
export const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

export const METRICS = {
  operations: {
    name: 'keybridge_operations',
    kind: 'counter',
    help: 'Key and management operations recorded in the audit ledger, by operation, outcome (success|denied|failed) and HSM pool (none when no HSM call was made)',
    labels: ['operation', 'outcome', 'pool'],
    process: 'gateway+worker',
  },
  operationDuration: {
    name: 'keybridge_operation_duration_seconds',
    kind: 'histogram',
    unit: 's',
    help: 'Duration of audited operations, ledger commit included',
    labels: ['operation', 'outcome', 'pool'],
    process: 'gateway+worker',
  },
  hsmCalls: {
    name: 'keybridge_hsm_calls',
    kind: 'counter',
    help: 'PKCS#11 calls by pool, HSM operation and outcome (ok or the HSM error code)',
    labels: ['pool', 'operation', 'outcome'],
    process: 'gateway+worker',
  },
  hsmCallDuration: {
    name: 'keybridge_hsm_call_duration_seconds',
    kind: 'histogram',
    unit: 's',
    help: 'Duration of PKCS#11 calls, waiting for a session included',
    labels: ['pool', 'operation', 'outcome'],
    process: 'gateway+worker',
  },
  hsmSessionsInUse: {
    name: 'keybridge_hsm_sessions_in_use',
    kind: 'gauge',
    help: 'HSM sessions of this process running an operation, per pool',
    labels: ['pool'],
    process: 'gateway+worker',
  },
  hsmSessions: {
    name: 'keybridge_hsm_sessions',
    kind: 'gauge',
    help: 'HSM sessions this process keeps open, per pool (the pool size)',
    labels: ['pool'],
    process: 'gateway+worker',
  },
  hsmSessionWaiters: {
    name: 'keybridge_hsm_session_waiters',
    kind: 'gauge',
    help: 'Callers queued for a free HSM session, per pool',
    labels: ['pool'],
    process: 'gateway+worker',
  },
  ledgerAppendDuration: {
    name: 'keybridge_ledger_append_duration_seconds',
    kind: 'histogram',
    unit: 's',
    help: 'Duration of one ledger append statement; mode group (group commit) or transaction (with a state change)',
    labels: ['mode', 'outcome'],
    process: 'gateway+worker',
  },
  ledgerAppendBatchSize: {
    name: 'keybridge_ledger_append_batch_size',
    kind: 'histogram',
    help: 'Entries written by one ledger append statement',
    labels: ['mode'],
    process: 'gateway+worker',
  },
  ledgerIntegrateDuration: {
    name: 'keybridge_ledger_integrate_duration_seconds',
    kind: 'histogram',
    unit: 's',
    help: 'Duration of one ledger integration transaction (queue entries hashed into the chain)',
    labels: [],
    process: 'gateway+worker',
  },
  ledgerIntegrateBatchSize: {
    name: 'keybridge_ledger_integrate_batch_size',
    kind: 'histogram',
    help: 'Queue entries integrated into the chain by one integration transaction',
    labels: [],
    process: 'gateway+worker',
  },
  ledgerQueueEntries: {
    name: 'keybridge_ledger_queue_entries',
    kind: 'gauge',
    help: 'Ledger entries committed but not yet integrated into the hash chain',
    labels: [],
    process: 'worker',
  },
  ledgerQueueAge: {
    name: 'keybridge_ledger_queue_age_seconds',
    kind: 'gauge',
    unit: 's',
    help: 'Age of the oldest ledger entry not yet integrated into the hash chain (0 when none waits)',
    labels: [],
    process: 'worker',
  },
  overloads: {
    name: 'keybridge_overload',
    kind: 'counter',
    help: 'Requests answered UNAVAILABLE because a bounded wait ran out or a limit was reached, by resource (database|hsm|gateway)',
    labels: ['resource'],
    process: 'gateway+worker',
  },
  ledgerCheckpointLag: {
    name: 'keybridge_ledger_checkpoint_lag_entries',
    kind: 'gauge',
    help: 'Ledger entries appended since the newest signed checkpoint',
    labels: [],
    process: 'worker',
  },
  ledgerCheckpointAge: {
    name: 'keybridge_ledger_checkpoint_age_seconds',
    kind: 'gauge',
    unit: 's',
    help: 'Age of the newest signed checkpoint',
    labels: [],
    process: 'worker',
  },
  queueJobs: {
    name: 'keybridge_queue_jobs',
    kind: 'gauge',
    help: 'BullMQ jobs of the re-wrap, migration and webhook queues, by state (waiting, active, delayed, prioritized, waiting-children, failed)',
    labels: ['queue', 'state'],
    process: 'worker',
  },
  rewrapJobs: {
    name: 'keybridge_rewrap_jobs',
    kind: 'gauge',
    help: 'Re-wrap jobs by status (running, paused, cancelled, completed, failed)',
    labels: ['status'],
    process: 'worker',
  },
  rewrapRecords: {
    name: 'keybridge_rewrap_records',
    kind: 'gauge',
    help: 'Escrow records of the open (running or paused) re-wrap jobs, by state (total, done, failed, skipped)',
    labels: ['state'],
    process: 'worker',
  },
  migrationJobs: {
    name: 'keybridge_migration_jobs',
    kind: 'gauge',
    help: 'Vault migrations by state (running, completed)',
    labels: ['state'],
    process: 'worker',
  },
  migrationItems: {
    name: 'keybridge_migration_items',
    kind: 'gauge',
    help: 'Keys of the running vault migrations, by state (pending, done, failed, skipped)',
    labels: ['state'],
    process: 'worker',
  },
} as const satisfies Record<string, MetricDescriptor>;

/** The series names a Prometheus scrape shows for one metric (the exporter adds _total to counters). */
export function prometheusSeriesNames(metric: MetricDescriptor): string[] {
  switch (metric.kind) {
    case 'counter':
      return [`${metric.name}_total`];
    case 'histogram':
      return [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`];
    case 'gauge':
      return [metric.name];
  }
}

/** Every series name Keybridge exposes. */
export function allPrometheusSeriesNames(): string[] {
  return Object.values(METRICS).flatMap((m: MetricDescriptor) => prometheusSeriesNames(m));
}
