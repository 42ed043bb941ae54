import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { RewrapJobAccess } from '../access/rewrap-job-access';
import { RewrapKeys } from '../access/rewrap-keys';
import { finished, stateConflict } from '../model/job-transitions';
import { RewrapJob } from '../model/rewrap-job';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { kickQuietly } from '../queue/kick-quietly';
import { REWRAP_QUEUE, RewrapQueue } from '../queue/rewrap-queue.port';
import { ResumeRewrapJobCommand } from './resume-rewrap-job.command';

/** From paused or failed (after the cause, e.g. a disabled target, was fixed): the key rules are checked again. */
@CommandHandler(ResumeRewrapJobCommand)
export class ResumeRewrapJobHandler implements ICommandHandler<ResumeRewrapJobCommand> {
  private readonly logger = new Logger(ResumeRewrapJobHandler.name);

  constructor(
    private readonly access: RewrapJobAccess,
    private readonly keys: RewrapKeys,
    private readonly jobs: RewrapJobRepository,
    @Inject(REWRAP_QUEUE) private readonly queue: RewrapQueue,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ caller, id }: ResumeRewrapJobCommand): Promise<RewrapJob> {
    const meta: AuditMeta = { ctx: caller, operation: 'resumeRewrapJob', vault: null, details: { jobId: id } };
    const job = await this.audit.runCommitting(meta, async (commit) => {
      const opened = await this.access.open(caller, id, meta);
      if (opened.status !== 'paused' && opened.status !== 'failed') throw finished(opened) ?? stateConflict(opened, 'resume');
      // source and target never change: their keys are checked before the transaction
      const { source, target } = opened;
      await this.keys.open(caller, source, { vault: target.vault, key: target.key, version: String(target.version), keyId: target.keyId });
      return commit(async (manager) => {
        const current = await this.access.lock(manager, opened);
        if (current.status !== 'paused' && current.status !== 'failed') throw finished(current) ?? stateConflict(current, 'resume');
        return this.jobs.setStatus(manager, current.id, 'running', { kick: true });
      });
    });
    await kickQuietly(this.queue, this.logger, job.id, job.kickGeneration, job.slots);
    return job;
  }
}
