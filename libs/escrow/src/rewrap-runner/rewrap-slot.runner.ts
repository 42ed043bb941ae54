import { createHash, randomUUID } from 'node:crypto';
import { inLinkedSpan } from '@keybridge/telemetry';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { callerContext, PrincipalRepository } from '@keybridge/auth';
import { HSM_PORT, HsmError, HsmErrorCode, HsmKeyRef, HsmMechanism, HsmPort } from '@keybridge/hsm';
import { EventRecorder, KeyEventInput, KeyEventKind } from '@keybridge/events';
import { LedgerEntryInput, LedgerWriter } from '@keybridge/ledger';
import { DomainError } from '@keybridge/platform';
import { DataSource } from 'typeorm';
import { OpenedRewrapKeys, RewrapKeys } from '../access/rewrap-keys';
import { EscrowConfig } from '../escrow.config';
import { ClaimedRange, RewrapFailureReason, RewrapJob } from '../model/rewrap-job';
import { isEscrowAlgorithm, mechanismFor } from '../model/wrapping';
import { RewrapCandidate } from '../persistence/escrow-record.repository';
import { BatchWrite, RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { RewrapSlotJob } from '../queue/rewrap-queue.port';

export interface SlotSummary {
  ranges: number;
  moved: number;
  failed: number;
  skipped: number;
  /** Why the slot stopped: no range left to claim, the job is not running, the claim was lost, or shutdown. */
  stoppedBy: string;
}

type RangeOutcome = 'done' | 'fenced' | 'stopping' | 'job-failed';

const TRACER = 'keybridge.escrow';

const REASON: Record<HsmErrorCode, RewrapFailureReason> = {
  [HsmErrorCode.HSM_INVALID_INPUT]: RewrapFailureReason.UNWRAP_FAILED,
  [HsmErrorCode.HSM_OBJECT_NOT_FOUND]: RewrapFailureReason.KEY_OBJECT_MISSING,
  [HsmErrorCode.HSM_OPERATION_NOT_PERMITTED]: RewrapFailureReason.OPERATION_NOT_PERMITTED,
  [HsmErrorCode.UNSUPPORTED_BY_HSM]: RewrapFailureReason.UNSUPPORTED_BY_HSM,
  [HsmErrorCode.POOL_NOT_FOUND]: RewrapFailureReason.HSM_ERROR,
  [HsmErrorCode.HSM_ERROR]: RewrapFailureReason.HSM_ERROR,
  [HsmErrorCode.SECURITY_OFFICER_REQUIRED]: RewrapFailureReason.HSM_ERROR,
  [HsmErrorCode.EXPORT_REFUSED]: RewrapFailureReason.OPERATION_NOT_PERMITTED,
};

/**
 * Runs one slot of a re-wrap job in a worker: claims ranges (FOR UPDATE SKIP LOCKED, leased) until none is left,
 * and moves each range in keyset pages of `batchSize` records. Per page: the HSM re-wraps the records in chunks
 * (synchronous calls on one session for AES→AES; the event loop is released between chunks, so the other slot's
 * Postgres round trips go on meanwhile), then one transaction writes the page with compare-and-set on each
 * record's wrapping, the range cursor under the claim token, the counters and the page's ledger entry. A crash
 * anywhere loses at most the uncommitted page; whoever claims the range next redoes it.
 */
@Injectable()
export class RewrapSlotRunner implements OnApplicationShutdown {
  private readonly logger = new Logger(RewrapSlotRunner.name);
  private readonly worker = `${hostname()}:${process.pid}`;
  private stopping = false;

  constructor(
    private readonly jobs: RewrapJobRepository,
    private readonly keys: RewrapKeys,
    private readonly principals: PrincipalRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly ledger: LedgerWriter,
    private readonly events: EventRecorder,
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: EscrowConfig,
  ) {}

  onApplicationShutdown(): void {
    this.stopping = true;
  }

  async run(slot: RewrapSlotJob): Promise<SlotSummary> {
    const summary: SlotSummary = { ranges: 0, moved: 0, failed: 0, skipped: 0, stoppedBy: 'no-range' };
    const lease = this.config.values.KEYBRIDGE_REWRAP_LEASE_SECONDS;
    while (!this.stopping) {
      const job = await this.jobs.find(slot.jobId);
      if (!job || job.status !== 'running') {
        summary.stoppedBy = job ? job.status : 'missing';
        break;
      }
      const keys = await this.openKeys(job);
      if (!keys) {
        summary.stoppedBy = 'job-failed';
        break;
      }
      const range = await this.jobs.claimRange(job.id, randomUUID(), this.worker, lease, job.slots);
      if (!range) break;
      const outcome = await this.processRange(job, keys, range, summary);
      summary.ranges++;
      if (outcome !== 'done') {
        summary.stoppedBy = outcome;
        break;
      }
    }
    if (this.stopping && summary.stoppedBy === 'no-range') summary.stoppedBy = 'stopping';
    if (summary.ranges > 0) {
      // Memory is part of the contract (flat on any job size): the bench reads these lines.
      const memory = process.memoryUsage();
      this.logger.log(
        `rewrap job ${slot.jobId} slot ${slot.slot}: ${summary.ranges} ranges, ${summary.moved} moved, ${summary.failed} failed (${summary.stoppedBy}); ` +
          `heap ${Math.round(memory.heapUsed / 1048576)} MiB, rss ${Math.round(memory.rss / 1048576)} MiB`,
      );
    }
    return summary;
  }

  /** The job's key rules, checked again as its creator; a refusal fails the job (resumable once fixed). */
  private async openKeys(job: RewrapJob): Promise<OpenedRewrapKeys | undefined> {
    const principal = await this.principals.findById(job.createdBy);
    if (!principal) {
      // The principal that started the job was disabled or removed: the job acts for nobody any more.
      await this.failJob(job, 'FORBIDDEN');
      return undefined;
    }
    try {
      const caller = callerContext(principal, `rewrap-job-${job.id}`);
      const { source, target } = job;
      return await this.keys.open(
        caller,
        source,
        { vault: target.vault, key: target.key, version: String(target.version), keyId: target.keyId },
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      await this.failJob(job, error.code);
      return undefined;
    }
  }

  private async processRange(job: RewrapJob, keys: OpenedRewrapKeys, range: ClaimedRange, summary: SlotSummary): Promise<RangeOutcome> {
    const lease = this.config.values.KEYBRIDGE_REWRAP_LEASE_SECONDS;
    const perSlotRate = job.maxRatePerSecond === null ? null : job.maxRatePerSecond / job.slots;
    const target = keys.target.usable.ref;
    const targetMechanism = mechanismFor(job.target.algorithm);
    let cursor = range.cursorSeq;
    let renewedAt = performance.now();
    const heartbeat = async (): Promise<void> => {
      if (performance.now() - renewedAt < (lease * 1000) / 3) return;
      renewedAt = performance.now();
      await this.jobs.renewLease(job.id, range, lease);
    };
    for (;;) {
      if (this.stopping) {
        await this.jobs.releaseRange(job.id, range);
        return 'stopping';
      }
      const step = await this.inBatchSpan(job, range, async () => {
        const started = performance.now();
        const page = await this.jobs.candidates(job, range, cursor, job.batchSize);
        if (page.length === 0) return this.finishRange(job, range);
        let rewrapped: Pick<BatchWrite, 'moved' | 'failures'>;
        try {
          rewrapped = await this.rewrapPage(keys, page, target, targetMechanism, heartbeat);
        } catch (error) {
          if (!(error instanceof HsmError)) throw error;
          // The whole page failed (a key object vanished, the pool is down): the job stops, resumable.
          await this.jobs.releaseRange(job.id, range);
          await this.failJob(job, error.code);
          return 'job-failed';
        }
        const last = page[page.length - 1].seq;
        const write: BatchWrite = {
          jobId: job.id,
          range,
          cursorSeq: last,
          leaseSeconds: lease,
          attempted: page.length,
          target: job.target,
          sourceKeyId: job.source.keyId,
          ...rewrapped,
        };
        const written = await this.db.transaction(async (manager) => {
          const result = await this.jobs.writeBatch(manager, write);
          if (result.fenced) await this.ledger.appendWithin(manager, [this.batchEntry(job, range, page, write, result.movedIds)]);
          return result;
        });
        renewedAt = performance.now();
        if (!written.fenced) {
          await this.jobs.releaseRange(job.id, range);
          return 'fenced';
        }
        summary.moved += written.movedIds.length;
        summary.failed += written.newFailures;
        summary.skipped += write.moved.length - written.movedIds.length;
        cursor = last;
        if (perSlotRate !== null) await this.throttle((page.length / perSlotRate) * 1000 - (performance.now() - started), heartbeat);
        return 'next';
      });
      if (step !== 'next') return step;
    }
  }

  /**
   * Each batch is a span of its own (its HSM and Postgres calls are children), linked to the request that started
   * the job: the trace context stored with the job, so the link survives re-kicks and crashed workers.
   */
  private inBatchSpan<T>(job: RewrapJob, range: ClaimedRange, body: () => Promise<T>): Promise<T> {
    return inLinkedSpan(TRACER, 'rewrap.batch', job.traceParent, { 'rewrap.job': job.id, 'rewrap.range': range.rangeNo }, body);
  }

  /** Groups the page by (source version, algorithm) and re-wraps each group in chunks on the HSM. */
  private async rewrapPage(
    keys: OpenedRewrapKeys,
    page: RewrapCandidate[],
    target: HsmKeyRef,
    targetMechanism: HsmMechanism,
    heartbeat: () => Promise<void>,
  ): Promise<Pick<BatchWrite, 'moved' | 'failures'>> {
    const moved: BatchWrite['moved'] = [];
    const failures: BatchWrite['failures'] = [];
    const groups = new Map<string, RewrapCandidate[]>();
    for (const record of page) {
      const group = `${record.keyVersion}/${record.algorithm}`;
      const members = groups.get(group);
      if (members) members.push(record);
      else groups.set(group, [record]);
    }
    const chunk = this.config.values.KEYBRIDGE_REWRAP_CHUNK;
    for (const records of groups.values()) {
      const { keyVersion, algorithm } = records[0];
      const source = keys.sources.get(keyVersion);
      if (!source || !isEscrowAlgorithm(algorithm)) {
        for (const r of records) {
          failures.push({ id: r.id, seq: r.seq, reason: RewrapFailureReason.UNSUPPORTED_ALGORITHM, message: `cannot read ${algorithm} under version ${keyVersion}` });
        }
        continue;
      }
      for (let i = 0; i < records.length; i += chunk) {
        const part = records.slice(i, i + chunk);
        const results = await this.hsm.rewrapBatch(
          source.usable.ref,
          mechanismFor(algorithm),
          part.map((r) => r.wrapped),
          target,
          targetMechanism,
          { allowBlocking: true },
        );
        results.forEach((result, k) => {
          const r = part[k];
          if (result.ok) moved.push({ id: r.id, fromVersion: r.keyVersion, wrapped: result.wrapped });
          else failures.push({ id: r.id, seq: r.seq, reason: REASON[result.error.code], message: result.error.message.slice(0, 300) });
        });
        // Let I/O (the other slot's database round trips, BullMQ lock renewals) run between blocking chunks.
        await new Promise((resolve) => setImmediate(resolve));
        await heartbeat();
      }
    }
    return { moved, failures };
  }

  private async finishRange(job: RewrapJob, range: ClaimedRange): Promise<RangeOutcome> {
    const outcome = await this.db.transaction(async (manager) => {
      const completed = await this.jobs.finishRange(manager, job.id, range);
      if (completed) {
        await this.ledger.appendWithin(manager, [jobEntry(completed, 'rewrapJobCompleted', 'success', null)]);
        await this.events.record(manager, jobFinishedEvent(completed));
      }
      return completed;
    });
    if (outcome === undefined) return 'fenced';
    if (outcome) this.logger.log(`rewrap job ${job.id} completed: ${outcome.done} moved, ${outcome.failed} failed, ${outcome.skipped} skipped`);
    return 'done';
  }

  private async failJob(job: RewrapJob, code: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const current = await this.jobs.find(job.id, manager, true);
      if (!current || current.status !== 'running') return;
      await this.jobs.releaseAll(manager, job.id);
      const failed = await this.jobs.setStatus(manager, job.id, 'failed', { errorCode: code });
      await this.ledger.appendWithin(manager, [jobEntry(failed, 'rewrapJobFailed', 'failed', code)]);
      await this.events.record(manager, jobFinishedEvent(failed));
    });
    this.logger.warn(`rewrap job ${job.id} failed: ${code}`);
  }

  private async throttle(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const step = (this.config.values.KEYBRIDGE_REWRAP_LEASE_SECONDS * 1000) / 4;
    for (let left = ms; left > 0 && !this.stopping; left -= step) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(step, left)));
      await heartbeat();
    }
  }

  private batchEntry(job: RewrapJob, range: ClaimedRange, page: RewrapCandidate[], write: BatchWrite, movedIds: string[]): LedgerEntryInput {
    const versions = new Set(page.map((r) => r.keyVersion));
    return {
      principalId: job.createdBy,
      vault: job.source.vault,
      keyName: job.source.key,
      keyVersion: versions.size === 1 ? page[0].keyVersion : null,
      operation: 'rewrapBatch',
      outcome: 'success',
      errorCode: null,
      requestId: `rewrap-job-${job.id}`,
      traceId: null,
      paramsDigest: digest(`${job.id}\n${range.rangeNo}\n${page[0].seq}\n${write.cursorSeq}`),
      details: {
        jobId: job.id,
        range: range.rangeNo,
        fromSeq: page[0].seq,
        toSeq: write.cursorSeq,
        moved: movedIds.length,
        skipped: write.moved.length - movedIds.length,
        failed: write.failures.length,
        recordIdsDigest: digest(movedIds.join('\n')),
        targetVault: job.target.vault,
        targetKey: job.target.key,
        targetVersion: job.target.version,
        algorithm: job.target.algorithm,
      },
    };
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** RewrapJobFinished, once per job, for webhooks and the keyEvents subscription. */
export function jobFinishedEvent(job: RewrapJob): KeyEventInput {
  return {
    kind: KeyEventKind.RewrapJobFinished,
    vault: job.source.vault,
    keyName: job.source.key,
    keyVersion: null,
    dedupeKey: `RewrapJobFinished:${job.id}`,
    data: { jobId: job.id, status: job.status, total: job.total, done: job.done, failed: job.failed, skipped: job.skipped, errorCode: job.errorCode },
    principalId: job.createdBy,
    requestId: `rewrap-job-${job.id}`,
  };
}

export function jobEntry(job: RewrapJob, operation: string, outcome: LedgerEntryInput['outcome'], errorCode: string | null): LedgerEntryInput {
  return {
    principalId: job.createdBy,
    vault: job.source.vault,
    keyName: job.source.key,
    keyVersion: null,
    operation,
    outcome,
    errorCode,
    requestId: `rewrap-job-${job.id}`,
    traceId: null,
    paramsDigest: null,
    details: { jobId: job.id, total: job.total, done: job.done, failed: job.failed, skipped: job.skipped },
  };
}
