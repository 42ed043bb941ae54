import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '@keybridge/keys';
import { LabelInput } from '../generate-data-key/generate-data-key.command';
import { EscrowRecord } from '../model/escrow-record';

/** Stores a data key the caller wrapped through Keybridge (wrapKey) under that key version. */
export class DepositWrappedKeyCommand extends Command<EscrowRecord> {
  constructor(
    readonly caller: Caller,
    readonly key: KeyTarget,
    readonly algorithm: string,
    /** base64url */
    readonly wrapped: string,
    readonly owner: string,
    readonly labels: LabelInput[] | null,
    readonly expiresAt: Date | null = null,
  ) {
    super();
  }
}
