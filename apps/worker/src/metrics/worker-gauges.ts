import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CheckpointRepository, LedgerReader } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { METRICS, metricsEnabled, observableGauge, observeBatch } from '@keybridge/telemetry';
import { Queue } from 'bullmq';
import { MIGRATION_QUEUE_NAME } from '../migration/migration.processor';
import { REWRAP_QUEUE_NAME } from '../rewrap/rewrap-slot.processor';
import { WEBHOOK_QUEUE_NAME } from '../webhooks/webhook-delivery.processor';
import { JobProgress, JobProgressRepository } from './job-progress.repository';

/** Postgres and Redis are read at most this often, however often the metrics are scraped. */
const REFRESH_MS = 5000;
/** Queue states that make up the depth of a queue (retained completed jobs do not). */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'] as const;

interface Snapshot {
  queuedEntries: number;
  queueAgeSeconds: number;
  checkpointLag: number;
  checkpointAgeSeconds: number | undefined;
  queues: Array<{ queue: string; counts: Record<string, number> }>;
  jobs: JobProgress;
}

/**
 * The worker's gauges of shared state — ledger entries awaiting integration, checkpoint lag, queue depth, job progress. Every worker reports the same
 * values (they read the same Postgres and Redis), so dashboards take max() over instances. Registered only when a
 * metrics exporter is configured; otherwise nothing is ever read.
 */
@Injectable()
export class WorkerGauges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerGauges.name);
  private stop: () => void = () => undefined;
  private cached: { at: number; snapshot: Promise<Snapshot | undefined> } | undefined;

  constructor(
    private readonly reader: LedgerReader,
    private readonly checkpoints: CheckpointRepository,
    private readonly jobs: JobProgressRepository,
    private readonly clock: Clock,
    @InjectQueue(REWRAP_QUEUE_NAME) private readonly rewrapQueue: Queue,
    @InjectQueue(MIGRATION_QUEUE_NAME) private readonly migrationQueue: Queue,
    @InjectQueue(WEBHOOK_QUEUE_NAME) private readonly webhookQueue: Queue,
  ) {}

  onApplicationBootstrap(): void {
    if (!metricsEnabled()) return;
    const queued = observableGauge(METRICS.ledgerQueueEntries);
    const queueAge = observableGauge(METRICS.ledgerQueueAge);
    const lag = observableGauge(METRICS.ledgerCheckpointLag);
    const age = observableGauge(METRICS.ledgerCheckpointAge);
    const queueJobs = observableGauge(METRICS.queueJobs);
    const rewrapJobs = observableGauge(METRICS.rewrapJobs);
    const rewrapRecords = observableGauge(METRICS.rewrapRecords);
    const migrationJobs = observableGauge(METRICS.migrationJobs);
    const migrationItems = observableGauge(METRICS.migrationItems);
    this.stop = observeBatch([queued, queueAge, lag, age, queueJobs, rewrapJobs, rewrapRecords, migrationJobs, migrationItems], async (result) => {
      const s = await this.snapshot();
      if (!s) return;
      result.observe(queued, s.queuedEntries);
      result.observe(queueAge, s.queueAgeSeconds);
      result.observe(lag, s.checkpointLag);
      if (s.checkpointAgeSeconds !== undefined) result.observe(age, s.checkpointAgeSeconds);
      for (const { queue, counts } of s.queues) for (const state of QUEUE_STATES) result.observe(queueJobs, counts[state] ?? 0, { queue, state });
      for (const [status, n] of Object.entries(s.jobs.rewrapJobs)) result.observe(rewrapJobs, n, { status });
      for (const [state, n] of Object.entries(s.jobs.rewrapRecords)) result.observe(rewrapRecords, n, { state });
      for (const [state, n] of Object.entries(s.jobs.migrationJobs)) result.observe(migrationJobs, n, { state });
      for (const [state, n] of Object.entries(s.jobs.migrationItems)) result.observe(migrationItems, n, { state });
    });
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /** One read per REFRESH_MS; concurrent scrapes share it. A failed read leaves the gauges out of that scrape. */
  private snapshot(): Promise<Snapshot | undefined> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= REFRESH_MS) {
      this.cached = {
        at: now,
        snapshot: this.read().catch((error: unknown) => {
          this.logger.warn(`metrics: reading queue and job state failed (${error instanceof Error ? error.message : String(error)})`);
          return undefined;
        }),
      };
    }
    return this.cached.snapshot;
  }

  private async read(): Promise<Snapshot> {
    const pending = await this.reader.pending();
    const head = await this.reader.headSeq();
    const latest = await this.checkpoints.latest();
    const queues = await Promise.all(
      [this.rewrapQueue, this.migrationQueue, this.webhookQueue].map(async (q) => ({ queue: q.name, counts: await q.getJobCounts(...QUEUE_STATES) })),
    );
    const now = this.clock.now().getTime();
    return {
      queuedEntries: pending.entries,
      queueAgeSeconds: pending.oldestQueuedAt ? Math.max(0, (now - pending.oldestQueuedAt.getTime()) / 1000) : 0,
      checkpointLag: Math.max(0, head - (latest?.treeSize ?? 0)),
      checkpointAgeSeconds: latest ? Math.max(0, (now - latest.signedAt.getTime()) / 1000) : undefined,
      queues,
      jobs: await this.jobs.progress(),
    };
  }
}
