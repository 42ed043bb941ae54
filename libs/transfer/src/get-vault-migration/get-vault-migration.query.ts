import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { VaultMigrationView } from '../migration/migration-job.view';

/** One vault migration with its per-key outcome. Permission: manageJobs or get on the source or the target. */
export class GetVaultMigrationQuery extends Query<VaultMigrationView> {
  constructor(
    readonly caller: Caller,
    readonly id: string,
  ) {
    super();
  }
}

/** Migrations from or into a vault, newest first. Permission: manageJobs or get on the vault. */
export class ListVaultMigrationsQuery extends Query<VaultMigrationView[]> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly first: number | null,
  ) {
    super();
  }
}
