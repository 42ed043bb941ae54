import { Injectable } from '@nestjs/common';
import { Caller, Permission } from '@keybridge/auth';
import { KeyError, KeyErrorCode, VaultAccess } from '@keybridge/keys';
import { AuditMeta } from '@keybridge/ledger';
import { EntityManager } from 'typeorm';
import { EscrowError, EscrowErrorCode } from '../escrow.errors';
import { RewrapJob } from '../model/rewrap-job';
import { RewrapJobRepository } from '../persistence/rewrap-job.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job as its caller may see it: manageJobs on its source vault; without any grant there, it does not exist. */
@Injectable()
export class RewrapJobAccess {
  constructor(
    private readonly access: VaultAccess,
    private readonly jobs: RewrapJobRepository,
  ) {}

  /** The job if the caller may manage it. Outside any transaction (it checks grants): state changes then `lock` it. */
  async open(caller: Caller, id: string, meta: AuditMeta): Promise<RewrapJob> {
    const job = UUID.test(id) ? await this.jobs.find(id.toLowerCase()) : undefined;
    if (!job) throw jobNotFound();
    meta.vault = job.source.vault;
    meta.keyName = job.source.key;
    try {
      await this.access.authorize(caller.principal, job.source.vault, Permission.manageJobs);
    } catch (error) {
      if (error instanceof KeyError && error.code === KeyErrorCode.VAULT_NOT_FOUND) throw jobNotFound().asDenial();
      throw error;
    }
    return job;
  }

  /** The opened job's current state, locked until the transaction ends. */
  async lock(manager: EntityManager, opened: RewrapJob): Promise<RewrapJob> {
    const job = await this.jobs.find(opened.id, manager, true);
    if (!job) throw jobNotFound();
    return job;
  }
}

export function jobNotFound(): EscrowError {
  return new EscrowError(EscrowErrorCode.REWRAP_JOB_NOT_FOUND, 'rewrap job not found');
}
