import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { LabelInput } from '../generate-data-key/generate-data-key.command';
import { RewrapJob } from '../model/rewrap-job';

export interface RewrapSelectorInput {
  vault: string;
  key: string;
  /** Exactly one of fromVersions and allBelowVersion. */
  fromVersions?: number[] | null;
  allBelowVersion?: number | null;
  owner?: string | null;
  labels?: LabelInput[] | null;
}

export interface RewrapTargetInput {
  vault: string;
  key: string;
  /** latest, vN or N; default latest (resolved once, when the job starts). */
  version?: string | null;
}

/** Moves every escrow record the selector matches (as of now) to the target wrapping. Permission: manageJobs on both vaults. */
export class StartRewrapJobCommand extends Command<RewrapJob> {
  constructor(
    readonly caller: Caller,
    readonly selector: RewrapSelectorInput,
    readonly target: RewrapTargetInput,
    readonly batchSize: number,
    readonly maxRatePerSecond: number | null,
  ) {
    super();
  }
}
