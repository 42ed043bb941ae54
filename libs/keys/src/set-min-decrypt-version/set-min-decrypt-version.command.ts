import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyView } from '../model/key-view';

/**
 * Versions below the floor refuse every operation (HashiCorp Vault's min_decryption_version). Raising it needs
 * `update`; lowering it needs `update` and the global `admin` permission and a reason, which the ledger records.
 */
export class SetMinDecryptVersionCommand extends Command<KeyView> {
  constructor(
    readonly caller: Caller,
    readonly vault: string,
    readonly name: string,
    readonly version: number,
    readonly reason: string | null,
  ) {
    super();
  }
}
