import { MigrationItem, MigrationJob } from './migration-job.repository';

export interface VaultMigrationView {
  id: string;
  sourceVault: string;
  targetVault: string;
  mode: 'copy' | 'move';
  state: 'running' | 'completed';
  total: number;
  pending: number;
  done: number;
  failed: number;
  skipped: number;
  createdAt: Date;
  finishedAt: Date | null;
  /** Per key, in name order; absent in lists. */
  items?: MigrationItem[];
}

export function vaultMigrationView(job: MigrationJob, items?: MigrationItem[]): VaultMigrationView {
  return {
    id: job.id,
    sourceVault: job.sourceVault,
    targetVault: job.targetVault,
    mode: job.mode,
    state: job.state,
    total: job.total,
    ...job.counts,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
    items,
  };
}
