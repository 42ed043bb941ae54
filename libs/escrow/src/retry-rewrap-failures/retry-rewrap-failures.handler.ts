import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { RewrapJobAccess } from '../access/rewrap-job-access';
import { stateConflict } from '../model/job-transitions';
import { RewrapJob } from '../model/rewrap-job';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { kickQuietly } from '../queue/kick-quietly';
import { REWRAP_QUEUE, RewrapQueue } from '../queue/rewrap-queue.port';
import { RetryRewrapFailuresCommand } from './retry-rewrap-failures.command';

/**
 * Adds a retry range over the open failures. A completed job runs again; a running one picks the range up; a
 * paused or failed one does when resumed. A cancelled job cannot be retried.
 */
@CommandHandler(RetryRewrapFailuresCommand)
export class RetryRewrapFailuresHandler implements ICommandHandler<RetryRewrapFailuresCommand> {
  private readonly logger = new Logger(RetryRewrapFailuresHandler.name);

  constructor(
    private readonly access: RewrapJobAccess,
    private readonly jobs: RewrapJobRepository,
    @Inject(REWRAP_QUEUE) private readonly queue: RewrapQueue,
    private readonly audit: AuditTrail,
  ) {}

  async execute({ caller, id }: RetryRewrapFailuresCommand): Promise<RewrapJob> {
    const meta: AuditMeta = { ctx: caller, operation: 'retryRewrapFailures', vault: null, details: { jobId: id } };
    const { job, retried } = await this.audit.runCommitting(meta, async (commit) => {
      const opened = await this.access.open(caller, id, meta);
      return commit(async (manager) => {
        const current = await this.access.lock(manager, opened);
        if (current.status === 'cancelled') throw stateConflict(current, 'retry');
        const count = await this.jobs.addRetryRange(manager, current);
        meta.details = { jobId: current.id, retried: count };
        if (count > 0 && (current.status === 'completed' || current.status === 'running')) {
          return { job: await this.jobs.setStatus(manager, current.id, 'running', { kick: true }), retried: count };
        }
        return { job: (await this.jobs.find(current.id, manager)) as RewrapJob, retried: count };
      });
    });
    if (retried > 0 && job.status === 'running') await kickQuietly(this.queue, this.logger, job.id, job.kickGeneration, job.slots);
    return job;
  }
}
