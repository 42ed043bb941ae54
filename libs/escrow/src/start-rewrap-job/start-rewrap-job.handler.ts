import { randomUUID } from 'node:crypto';
import { currentTraceParent } from '@keybridge/telemetry';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Permission } from '@keybridge/auth';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { invalidArgument, KeyLocator, VaultAccess } from '@keybridge/keys';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { RewrapKeys, targetOf } from '../access/rewrap-keys';
import { EscrowConfig } from '../escrow.config';
import { checkLabels, checkOwner } from '../model/escrow-record';
import { RewrapJob } from '../model/rewrap-job';
import { assertWrappingKey, defaultAlgorithm } from '../model/wrapping';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { kickQuietly } from '../queue/kick-quietly';
import { REWRAP_QUEUE, RewrapQueue } from '../queue/rewrap-queue.port';
import { StartRewrapJobCommand } from './start-rewrap-job.command';

export const MAX_BATCH_SIZE = 10_000;

@CommandHandler(StartRewrapJobCommand)
export class StartRewrapJobHandler implements ICommandHandler<StartRewrapJobCommand> {
  private readonly logger = new Logger(StartRewrapJobHandler.name);

  constructor(
    private readonly access: VaultAccess,
    private readonly locator: KeyLocator,
    private readonly keys: RewrapKeys,
    private readonly jobs: RewrapJobRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    @Inject(REWRAP_QUEUE) private readonly queue: RewrapQueue,
    private readonly config: EscrowConfig,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  async execute({ caller, selector, target, batchSize, maxRatePerSecond: rate }: StartRewrapJobCommand): Promise<RewrapJob> {
    const id = randomUUID();
    const maxRatePerSecond = rate ?? null;
    const meta: AuditMeta = {
      ctx: caller,
      operation: 'startRewrapJob',
      vault: selector.vault,
      keyName: selector.key,
      params: { targetVault: target.vault, targetKey: target.key, targetVersion: target.version ?? 'latest', batchSize },
      details: { jobId: id },
    };
    const job = await this.audit.runCommitting(meta, async (commit) => {
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
        throw invalidArgument(`batchSize must be 1 to ${MAX_BATCH_SIZE}`, 'batchSize');
      }
      if (maxRatePerSecond !== null && (!Number.isInteger(maxRatePerSecond) || maxRatePerSecond < 1)) {
        throw invalidArgument('maxRatePerSecond must be a positive integer', 'maxRatePerSecond');
      }
      const hasList = selector.fromVersions !== null && selector.fromVersions !== undefined;
      const hasBelow = selector.allBelowVersion !== null && selector.allBelowVersion !== undefined;
      if (hasList === hasBelow) throw invalidArgument('give exactly one of fromVersions and allBelowVersion', 'selector');
      const owner = selector.owner === null || selector.owner === undefined ? null : checkOwner(selector.owner, 'selector.owner');
      const labels = selector.labels?.length ? checkLabels(selector.labels, 'selector.labels') : null;

      const sourceVault = await this.access.authorize(caller.principal, selector.vault, Permission.manageJobs);
      const sourceKey = await this.locator.key(sourceVault, selector.key);
      assertWrappingKey(sourceKey.spec);
      const fromVersions = hasList ? [...new Set(selector.fromVersions)].sort((a, b) => a - b) : belowList(selector.allBelowVersion as number, sourceKey.latestVersion);
      if (fromVersions.length === 0 || fromVersions.length > 1000 || fromVersions.some((v) => !Number.isInteger(v) || v < 1)) {
        throw invalidArgument('the selector names no valid source version', 'selector');
      }
      const opened = await this.keys.open(caller, { vault: selector.vault, key: selector.key, fromVersions }, { vault: target.vault, key: target.key, version: target.version ?? null });
      meta.keyVersion = fromVersions.length === 1 ? fromVersions[0] : null;
      const algorithm = defaultAlgorithm(opened.target.key.spec, this.hsm.capabilities(opened.target.version.pool));
      meta.details = { jobId: id, targetVersion: opened.target.version.version, fromVersions: fromVersions.join(',') };
      const created = await commit(async (manager) => {
        const made = await this.jobs.create(manager, {
          id,
          queue: this.queue.name,
          createdBy: caller.principal.id,
          source: { vaultId: sourceVault.id, vault: sourceVault.name, keyId: sourceKey.id, key: sourceKey.name, fromVersions, belowVersion: hasBelow ? (selector.allBelowVersion as number) : null, owner, labels },
          target: targetOf(opened.target, algorithm),
          batchSize,
          maxRatePerSecond,
          slots: this.config.values.KEYBRIDGE_REWRAP_SLOTS,
          rangeRecords: this.config.values.KEYBRIDGE_REWRAP_RANGE_RECORDS,
          now: this.clock.now(),
        });
        const traceParent = currentTraceParent();
        if (traceParent) await this.jobs.setTraceParent(manager, made.id, traceParent);
        return { ...made, traceParent };
      });
      return created;
    });
    // After commit: a kick that fails (Redis away) is repeated by the workers' reconciler from Postgres.
    if (job.status === 'running') await kickQuietly(this.queue, this.logger, job.id, job.kickGeneration, job.slots);
    return job;
  }
}

function belowList(below: number, latest: number): number[] {
  if (!Number.isInteger(below) || below < 2) throw invalidArgument('allBelowVersion must be 2 or more', 'selector.allBelowVersion');
  return Array.from({ length: Math.min(below - 1, latest) }, (_, i) => i + 1);
}
