import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';

export interface KeyBackupResult {
  kid: string;
  /** keybridge.key-backup JSON: header in clear, every version wrapped for the security domain, sealed. */
  blob: string;
  securityDomain: string;
  versions: number;
}

/** Backs up every version of an exportable key for its vault's security domain. Permission: backup. */
export class BackupKeyCommand extends Command<KeyBackupResult> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
  ) {
    super();
  }
}
