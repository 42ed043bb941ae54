import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { VaultMigrationView } from '../migration/migration-job.view';

export interface StartVaultMigrationInput {
  sourceVault: string;
  targetVault: string;
  /** copy (default) or move (source versions disabled after each verified transfer). */
  mode?: string | null;
}

/**
 * Queues the transfer of every live exportable key of a vault into another vault (non-exportable keys are listed
 * as skipped). Permissions: transfer and manageJobs on the source, import on the target.
 */
export class StartVaultMigrationCommand extends Command<VaultMigrationView> {
  constructor(
    readonly caller: Caller,
    readonly input: StartVaultMigrationInput,
  ) {
    super();
  }
}
