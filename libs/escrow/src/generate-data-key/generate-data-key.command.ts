import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyTarget } from '@keybridge/keys';
import { EscrowRecord } from '../model/escrow-record';

export interface LabelInput {
  name: string;
  value: string;
}

export interface DataKeyResult {
  record: EscrowRecord;
  /** base64url; returned once, never stored. */
  plaintext: string;
}

/** Like AWS KMS GenerateDataKey, but the wrapped copy is kept as an escrow record. */
export class GenerateDataKeyCommand extends Command<DataKeyResult> {
  constructor(
    readonly caller: Caller,
    readonly key: KeyTarget,
    readonly bits: number,
    readonly owner: string,
    readonly labels: LabelInput[] | null,
    readonly expiresAt: Date | null = null,
  ) {
    super();
  }
}
