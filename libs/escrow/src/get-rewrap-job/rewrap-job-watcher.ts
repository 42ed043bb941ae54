import { Injectable } from '@nestjs/common';
import { Caller } from '@keybridge/auth';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { RewrapJobAccess } from '../access/rewrap-job-access';
import { EscrowConfig } from '../escrow.config';
import { jobView, RewrapJobView } from '../model/rewrap-job-view';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';

const ENDED = new Set(['completed', 'cancelled', 'failed']);

/**
 * Live progress for the GraphQL subscription: authorises and records one ledger entry when the watch starts, then
 * reads the job from Postgres every KEYBRIDGE_REWRAP_PROGRESS_POLL_MS and yields it whenever it changed; ends after
 * the job has ended (completed, cancelled or failed). Works with any number of gateways and workers, no pub/sub.
 */
@Injectable()
export class RewrapJobWatcher {
  constructor(
    private readonly access: RewrapJobAccess,
    private readonly jobs: RewrapJobRepository,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    private readonly config: EscrowConfig,
  ) {}

  async watch(caller: Caller, id: string): Promise<AsyncIterableIterator<RewrapJobView>> {
    const meta: AuditMeta = { ctx: caller, operation: 'watchRewrapJob', vault: null, details: { jobId: id } };
    const first = await this.audit.run(meta, () => this.access.open(caller, id, meta));
    return this.poll(first.id);
  }

  private async *poll(id: string): AsyncIterableIterator<RewrapJobView> {
    let last = '';
    for (;;) {
      const job = await this.jobs.find(id);
      if (!job) return;
      const stamp = `${job.status}/${job.updatedAt.toISOString()}/${job.done}/${job.failed}`;
      if (stamp !== last) {
        last = stamp;
        yield jobView(job, this.clock.now());
      }
      if (ENDED.has(job.status)) return;
      await new Promise((resolve) => setTimeout(resolve, this.config.values.KEYBRIDGE_REWRAP_PROGRESS_POLL_MS));
    }
  }
}
