import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { Page } from '@keybridge/keys';
import { LabelInput } from '../generate-data-key/generate-data-key.command';
import { EscrowRecord } from '../model/escrow-record';

export interface EscrowRecordFilter {
  vault: string;
  key?: string | null;
  version?: string | null;
  owner?: string | null;
  /** Records carrying all of these labels. */
  labels?: LabelInput[] | null;
}

/** Metadata of a vault's escrow records (never the wrapped bytes), in deposit order. Permission: list. */
export class ListEscrowRecordsQuery extends Query<Page<EscrowRecord>> {
  constructor(
    readonly caller: Caller,
    readonly filter: EscrowRecordFilter,
    readonly first: number | null,
    readonly after: string | null,
  ) {
    super();
  }
}
