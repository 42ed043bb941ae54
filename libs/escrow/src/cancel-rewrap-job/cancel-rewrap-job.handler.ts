import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { RewrapJobAccess } from '../access/rewrap-job-access';
import { finished } from '../model/job-transitions';
import { RewrapJob } from '../model/rewrap-job';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';
import { CancelRewrapJobCommand } from './cancel-rewrap-job.command';

/** Records already moved stay moved (each is consistent on its own); the rest keep their old wrapping. */
@CommandHandler(CancelRewrapJobCommand)
export class CancelRewrapJobHandler implements ICommandHandler<CancelRewrapJobCommand> {
  constructor(
    private readonly access: RewrapJobAccess,
    private readonly jobs: RewrapJobRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, id }: CancelRewrapJobCommand): Promise<RewrapJob> {
    const meta: AuditMeta = { ctx: caller, operation: 'cancelRewrapJob', vault: null, details: { jobId: id } };
    return this.audit.runCommitting(meta, async (commit) => {
      const opened = await this.access.open(caller, id, meta);
      return commit(async (manager) => {
        const job = await this.access.lock(manager, opened);
        const done = finished(job);
        if (done) throw done;
        await this.jobs.releaseAll(manager, job.id);
        return this.jobs.setStatus(manager, job.id, 'cancelled', { finished: true });
      });
    });
  }
}
