import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { RewrapJobAccess } from '../access/rewrap-job-access';
import { finished, stateConflict } from '../model/job-transitions';
import { RewrapJob } from '../model/rewrap-job';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { PauseRewrapJobCommand } from './pause-rewrap-job.command';

/** Workers stop at their next batch boundary (the batch in flight is discarded, not half-written). */
@CommandHandler(PauseRewrapJobCommand)
export class PauseRewrapJobHandler implements ICommandHandler<PauseRewrapJobCommand> {
  constructor(
    private readonly access: RewrapJobAccess,
    private readonly jobs: RewrapJobRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, id }: PauseRewrapJobCommand): Promise<RewrapJob> {
    const meta: AuditMeta = { ctx: caller, operation: 'pauseRewrapJob', vault: null, details: { jobId: id } };
    return this.audit.runCommitting(meta, async (commit) => {
      const opened = await this.access.open(caller, id, meta);
      return commit(async (manager) => {
        const job = await this.access.lock(manager, opened);
        if (job.status !== 'running') throw finished(job) ?? stateConflict(job, 'pause');
        await this.jobs.releaseAll(manager, job.id);
        return this.jobs.setStatus(manager, job.id, 'paused');
      });
    });
  }
}
