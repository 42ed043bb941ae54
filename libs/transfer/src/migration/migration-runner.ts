import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError } from '@keybridge/platform';
import { inLinkedSpan } from '@keybridge/telemetry';
import { KeyRepository, VaultRepository } from '@keybridge/keys';
import { AuditTrail, LedgerEntryInput, LedgerErrorCode, LedgerWriter } from '@keybridge/ledger';
import { DataSource } from 'typeorm';
import { VaultKeyTransfer } from '../transfer-key/vault-key-transfer';
import { HsmErrorCode } from '@keybridge/hsm';
import { MigrationConfig } from './migration.config';
import { MigrationJob, MigrationJobRepository } from './migration-job.repository';

const MAX_VERSIONS = 1000;

export interface MigrationRunSummary {
  transferred: number;
  failed: number;
}

/**
 * Works one vault migration in a worker: claims keys one at a time (leased, FOR UPDATE SKIP LOCKED) and transfers
 * each with VaultKeyTransfer, whose single transaction also finishes the item — so a key is either in the target
 * with its item done, or not there with its item pending. A worker killed mid-key leaves at most HSM objects
 * without rows (labelled with the target vault and key); its lease runs out and another worker moves the key again.
 * Typed refusals (the key changed meanwhile, a name taken in the target) finish the item as failed with the code;
 * HSM trouble, the ledger being down and untyped errors are retried up to KEYBRIDGE_MIGRATION_ATTEMPTS times.
 */
@Injectable()
export class MigrationRunner {
  private readonly logger = new Logger(MigrationRunner.name);

  constructor(
    private readonly jobs: MigrationJobRepository,
    private readonly vaults: VaultRepository,
    private readonly keys: KeyRepository,
    private readonly transfer: VaultKeyTransfer,
    private readonly audit: AuditTrail,
    private readonly ledger: LedgerWriter,
    private readonly config: MigrationConfig,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async run(jobId: string): Promise<MigrationRunSummary> {
    const summary: MigrationRunSummary = { transferred: 0, failed: 0 };
    const job = await this.jobs.find(jobId);
    if (!job || job.state !== 'running') return summary;
    const { KEYBRIDGE_MIGRATION_LEASE_SECONDS: lease, KEYBRIDGE_MIGRATION_ATTEMPTS: attempts } = this.config.values;
    for (let item = await this.jobs.claim(jobId, lease); item; item = await this.jobs.claim(jobId, lease)) {
      const { keyName } = item;
      const last = item.attempts >= attempts;
      const outcome = await inLinkedSpan('keybridge.transfer', 'migration.key', job.traceParent, { 'migration.job': job.id }, () => this.migrateKey(job, keyName, last));
      if (outcome === 'done') summary.transferred++;
      if (outcome === 'failed') summary.failed++;
    }
    await this.complete(jobId);
    return summary;
  }

  /** Completes the job when nothing is pending any more, with its ledger entries on both vaults. */
  async complete(jobId: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      if (!(await this.jobs.completeIfDone(manager, jobId))) return;
      const job = await this.jobs.find(jobId, manager);
      if (!job) return;
      await this.ledger.appendWithin(manager, [jobEntry(job, job.sourceVault), jobEntry(job, job.targetVault)]);
    });
  }

  private async migrateKey(job: MigrationJob, keyName: string, lastAttempt: boolean): Promise<'done' | 'failed' | 'retry'> {
    const ctx = { principalId: job.principalId, requestId: `vault-migration-${job.id}` };
    const meta = { ctx, operation: 'transferKey', vault: job.sourceVault, keyName, keyVersion: null, details: { migrationJob: job.id, targetVault: job.targetVault, mode: job.mode } };
    try {
      await this.audit.runCommitting(meta, async (commit) => {
        const [source, target] = await Promise.all([this.vaults.findByName(job.sourceVault), this.vaults.findByName(job.targetVault)]);
        const key = source && (await this.keys.find(source.id, keyName, 'live'));
        if (!source || !target || !key) throw new MigrationItemGone(keyName);
        const versions = (await this.keys.versions(key.id, null, MAX_VERSIONS)).reverse();
        return this.transfer.transfer({
          ctx,
          source,
          key,
          versions,
          target,
          targetName: keyName,
          mode: job.mode,
          commit: (work) =>
            commit(async (manager) => {
              const result = await work(manager);
              if (!(await this.jobs.finish(manager, job.id, keyName, { state: 'done', versions: versions.length }))) {
                throw new Error(`item ${keyName} was finished by another worker`);
              }
              return result;
            }),
        });
      });
      return 'done';
    } catch (error) {
      if (retryable(error) && !lastAttempt) {
        this.logger.warn(`vault migration ${job.id}: key ${keyName} failed (${error instanceof Error ? error.message : String(error)}); will retry`);
        await this.jobs.release(job.id, keyName);
        return 'retry';
      }
      const code = error instanceof DomainError ? error.code : error instanceof MigrationItemGone ? 'KEY_NOT_FOUND' : 'INTERNAL';
      const message = error instanceof DomainError || error instanceof MigrationItemGone ? error.message : 'unexpected error (see the worker log)';
      await this.db.transaction((manager) => this.jobs.finish(manager, job.id, keyName, { state: 'failed', errorCode: code, errorMessage: message.slice(0, 500) }));
      return 'failed';
    }
  }
}

/**
 * Failures that say nothing about the key: untyped errors, the ledger being down, and the HSM's own trouble —
 * SoftHSM's file store answers CKR_GENERAL_ERROR or misses an object another process just wrote while it reloads.
 * Typed refusals (not exportable, name taken, nothing the pools can do) are final.
 */
function retryable(error: unknown): boolean {
  if (error instanceof MigrationItemGone) return false;
  if (!(error instanceof DomainError)) return true;
  return RETRYABLE_CODES.has(error.code);
}

const RETRYABLE_CODES = new Set<string>([HsmErrorCode.HSM_ERROR, HsmErrorCode.HSM_OBJECT_NOT_FOUND, LedgerErrorCode.LEDGER_UNAVAILABLE]);

class MigrationItemGone extends Error {
  constructor(keyName: string) {
    super(`key ${keyName} (or one of the vaults) no longer exists`);
  }
}

function jobEntry(job: MigrationJob, vault: string): LedgerEntryInput {
  return {
    principalId: job.principalId,
    vault,
    keyName: null,
    keyVersion: null,
    operation: 'vaultMigrationCompleted',
    outcome: 'success',
    errorCode: null,
    requestId: `vault-migration-${job.id}`,
    traceId: null,
    paramsDigest: null,
    details: { jobId: job.id, sourceVault: job.sourceVault, targetVault: job.targetVault, ...job.counts },
  };
}
