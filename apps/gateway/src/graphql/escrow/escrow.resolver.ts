import { Args, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import {
  CancelRewrapJobCommand,
  jobView,
  DepositWrappedKeyCommand,
  GenerateDataKeyCommand,
  GetRewrapJobQuery,
  ListEscrowRecordsQuery,
  ListRewrapFailuresQuery,
  ListRewrapJobsQuery,
  PauseRewrapJobCommand,
  ReleaseDataKeyCommand,
  ResumeRewrapJobCommand,
  RetryRewrapFailuresCommand,
  RewrapJobStatus,
  RewrapJobView,
  RewrapJobWatcher,
  RewrapWrappedKeysCommand,
  StartRewrapJobCommand,
  SetEscrowLifetimeCommand,
} from '@keybridge/escrow';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { KeyRefInput } from '../keys/key.input';
import { DepositWrappedKeyInput, EscrowRecordFilterInput, GenerateDataKeyInput, RewrapSelectorInput, RewrapTargetInput } from './escrow.input';
import {
  connection,
  DataKeyModel,
  EscrowRecordConnectionModel,
  EscrowRecordModel,
  RewrapFailureConnectionModel,
  RewrapFailureModel,
  RewrapJobConnectionModel,
  RewrapJobModel,
  RewrapWrappedKeysResultModel,
} from './escrow.model';

/** Escrowed data keys, re-wrap jobs and the synchronous batch re-wrap. */
@Resolver()
export class EscrowResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly watcher: RewrapJobWatcher,
  ) {}

  @Mutation(() => DataKeyModel, {
    description: 'Generates a data key in the HSM, stores it wrapped as an escrow record and returns it once. Permission: escrowDeposit; key_ops wrapKey.',
  })
  async generateDataKey(@CurrentCaller() caller: Caller, @Args('input') input: GenerateDataKeyInput): Promise<DataKeyModel> {
    const result = await this.commands.execute(
      new GenerateDataKeyCommand(caller, { vault: input.vault, name: input.key, version: input.version }, input.bits, input.owner, input.labels ?? null, input.expiresAt ?? null),
    );
    return DataKeyModel.from(result);
  }

  @Mutation(() => EscrowRecordModel, { description: 'Stores a data key wrapped earlier with wrapKey. Permission: escrowDeposit; key_ops wrapKey.' })
  async depositWrappedKey(@CurrentCaller() caller: Caller, @Args('input') input: DepositWrappedKeyInput): Promise<EscrowRecordModel> {
    const record = await this.commands.execute(
      new DepositWrappedKeyCommand(caller, { vault: input.vault, name: input.key, version: input.version }, input.algorithm, input.wrapped, input.owner, input.labels ?? null, input.expiresAt ?? null),
    );
    return EscrowRecordModel.from(record);
  }

  @Mutation(() => DataKeyModel, { description: 'Unwraps an escrow record and returns its data key. Permission: escrowRelease; key_ops unwrapKey.' })
  async releaseDataKey(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<DataKeyModel> {
    return DataKeyModel.from(await this.commands.execute(new ReleaseDataKeyCommand(caller, id)));
  }

  @Query(() => EscrowRecordConnectionModel, { description: 'Escrow records of a vault (metadata), in deposit order. Permission: list.' })
  async escrowRecords(
    @CurrentCaller() caller: Caller,
    @Args('filter') filter: EscrowRecordFilterInput,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<EscrowRecordConnectionModel> {
    return connection(await this.queries.execute(new ListEscrowRecordsQuery(caller, filter, first, after)), EscrowRecordModel.from);
  }

  @Mutation(() => RewrapJobModel, {
    description: 'Starts moving every escrow record the selector matches now to the target wrapping. Permission: manageJobs on both vaults.',
  })
  async startRewrapJob(
    @CurrentCaller() caller: Caller,
    @Args('selector') selector: RewrapSelectorInput,
    @Args('target') target: RewrapTargetInput,
    @Args('batchSize', { type: () => Int }) batchSize: number,
    @Args('maxRatePerSecond', { type: () => Int, nullable: true }) maxRatePerSecond: number | null,
  ): Promise<RewrapJobModel> {
    const job = await this.commands.execute(new StartRewrapJobCommand(caller, selector, target, batchSize, maxRatePerSecond ?? null));
    return RewrapJobModel.from(jobView(job, new Date()));
  }

  @Mutation(() => RewrapJobModel, { description: 'Workers stop at their next batch. Permission: manageJobs.' })
  async pauseRewrapJob(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<RewrapJobModel> {
    return RewrapJobModel.from(jobView(await this.commands.execute(new PauseRewrapJobCommand(caller, id)), new Date()));
  }

  @Mutation(() => RewrapJobModel, { description: 'A paused or failed job runs again (key rules checked again). Permission: manageJobs.' })
  async resumeRewrapJob(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<RewrapJobModel> {
    return RewrapJobModel.from(jobView(await this.commands.execute(new ResumeRewrapJobCommand(caller, id)), new Date()));
  }

  @Mutation(() => RewrapJobModel, { description: 'Stops for good; moved records stay moved. Permission: manageJobs.' })
  async cancelRewrapJob(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<RewrapJobModel> {
    return RewrapJobModel.from(jobView(await this.commands.execute(new CancelRewrapJobCommand(caller, id)), new Date()));
  }

  @Mutation(() => RewrapJobModel, { description: 'Another pass over the failed records. Permission: manageJobs.' })
  async retryRewrapFailures(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<RewrapJobModel> {
    return RewrapJobModel.from(jobView(await this.commands.execute(new RetryRewrapFailuresCommand(caller, id)), new Date()));
  }

  @Query(() => RewrapJobModel, { description: 'A job and its progress. Permission: manageJobs on its source vault.' })
  async rewrapJob(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<RewrapJobModel> {
    return RewrapJobModel.from(await this.queries.execute(new GetRewrapJobQuery(caller, id)));
  }

  @Query(() => RewrapJobConnectionModel, { description: 'Jobs from or to a vault, newest first. Permission: manageJobs.' })
  async rewrapJobs(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('status', { type: () => String, nullable: true }) status: string | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<RewrapJobConnectionModel> {
    const page = await this.queries.execute(new ListRewrapJobsQuery(caller, vault, (status ?? null) as RewrapJobStatus | null, first ?? null, after ?? null));
    return connection(page, RewrapJobModel.from);
  }

  @Query(() => RewrapFailureConnectionModel, { description: 'Records a job could not move, with typed reasons. Permission: manageJobs.' })
  async rewrapFailures(
    @CurrentCaller() caller: Caller,
    @Args('jobId', { type: () => ID }) jobId: string,
    @Args('includeResolved', { type: () => Boolean, nullable: true }) includeResolved: boolean | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<RewrapFailureConnectionModel> {
    return connection(await this.queries.execute(new ListRewrapFailuresQuery(caller, jobId, includeResolved !== true, first, after)), RewrapFailureModel.from);
  }

  @Subscription(() => RewrapJobModel, {
    description: 'Live progress of a job (graphql-ws): an event whenever it changed, ending when the job ends. Permission: manageJobs.',
    resolve: (view: RewrapJobView) => RewrapJobModel.from(view),
  })
  async rewrapJobProgress(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<AsyncIterableIterator<RewrapJobView>> {
    return this.watcher.watch(caller, id);
  }

  @Mutation(() => RewrapWrappedKeysResultModel, {
    description: 'Re-wraps up to 1,000 caller-held wrapped keys under another key in the same pool, inside the HSM. Permissions: unwrapKey (from), wrapKey (to).',
  })
  async rewrapWrappedKeys(
    @CurrentCaller() caller: Caller,
    @Args('from') from: KeyRefInput,
    @Args('fromAlgorithm') fromAlgorithm: string,
    @Args('to') to: KeyRefInput,
    @Args('toAlgorithm', { type: () => String, nullable: true, description: 'default: CKM_AES_KEY_WRAP_PAD (AES) or RSA-OAEP (RSA)' }) toAlgorithm: string | null,
    @Args('items', { type: () => [String] }) items: string[],
  ): Promise<RewrapWrappedKeysResultModel> {
    return RewrapWrappedKeysResultModel.from(await this.commands.execute(new RewrapWrappedKeysCommand(caller, from, fromAlgorithm, to, toAlgorithm ?? null, items)));
  }

  @Mutation(() => Int, { nullable: true, description: 'Default lifetime in seconds of escrow records made under the key from now on (null: none). Permission: update.' })
  setEscrowLifetime(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('key') key: string,
    @Args('seconds', { type: () => Int, nullable: true }) seconds: number | null,
  ): Promise<number | null> {
    return this.commands.execute(new SetEscrowLifetimeCommand(caller, vault, key, seconds ?? null));
  }
}
