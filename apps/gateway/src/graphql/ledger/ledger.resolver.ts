import { Args, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import {
  CreateCheckpointCommand,
  EntryPage,
  GetCheckpointQuery,
  GetConsistencyProofQuery,
  GetInclusionProofQuery,
  KeyAccessHistoryQuery,
  ListAuditEntriesQuery,
  ListSigningKeysQuery,
  SummarizeAuditQuery,
  VerifyLedgerQuery,
} from '@keybridge/ledger';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { AuditFilterInputModel } from './ledger.input';
import {
  AuditCountModel,
  AuditEntryConnectionModel,
  AuditEntryModel,
  AuditGroupByModel,
  CheckpointModel,
  ConsistencyProofModel,
  InclusionProofModel,
  LedgerVerificationModel,
  SigningKeyModel,
} from './ledger.model';

const hex = (b: Buffer): string => b.toString('hex');

function connection(page: EntryPage): AuditEntryConnectionModel {
  const edges = page.items.map(({ cursor, node }) => ({ cursor, node: AuditEntryModel.from(node) }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** Checkpoints, proofs, verification and compliance queries over the audit ledger. Permission: auditRead. */
@Resolver()
export class LedgerResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Query(() => CheckpointModel, { description: 'The newest signed checkpoint. Permission: auditRead.' })
  async latestCheckpoint(@CurrentCaller() caller: Caller): Promise<CheckpointModel> {
    return CheckpointModel.from(await this.queries.execute(new GetCheckpointQuery(caller, null)));
  }

  @Query(() => CheckpointModel, { description: 'The signed checkpoint over exactly treeSize entries. Permission: auditRead.' })
  async checkpoint(@CurrentCaller() caller: Caller, @Args('treeSize', { type: () => Int }) treeSize: number): Promise<CheckpointModel> {
    return CheckpointModel.from(await this.queries.execute(new GetCheckpointQuery(caller, treeSize)));
  }

  @Mutation(() => CheckpointModel, { description: 'Signs a checkpoint over the current head now (the worker does it every few seconds). Permission: auditRead.' })
  async createCheckpoint(@CurrentCaller() caller: Caller): Promise<CheckpointModel> {
    return CheckpointModel.from(await this.commands.execute(new CreateCheckpointCommand(caller)));
  }

  @Query(() => InclusionProofModel, { description: 'Proof that entry seq is in a checkpoint (default: the latest). Permission: auditRead.' })
  async inclusionProof(
    @CurrentCaller() caller: Caller,
    @Args('seq', { type: () => Int }) seq: number,
    @Args('treeSize', { type: () => Int, nullable: true }) treeSize: number | null,
  ): Promise<InclusionProofModel> {
    const proof = await this.queries.execute(new GetInclusionProofQuery(caller, seq, treeSize));
    return {
      entry: AuditEntryModel.from(proof.entry),
      leafIndex: proof.leafIndex,
      leafHash: hex(proof.leafHash),
      path: proof.path.map(hex),
      checkpoint: CheckpointModel.from(proof.checkpoint),
    };
  }

  @Query(() => ConsistencyProofModel, { description: 'Proof that checkpoint toSize (default: the latest) extends checkpoint fromSize. Permission: auditRead.' })
  async consistencyProof(
    @CurrentCaller() caller: Caller,
    @Args('fromSize', { type: () => Int }) fromSize: number,
    @Args('toSize', { type: () => Int, nullable: true }) toSize: number | null,
  ): Promise<ConsistencyProofModel> {
    const proof = await this.queries.execute(new GetConsistencyProofQuery(caller, fromSize, toSize));
    return { from: CheckpointModel.from(proof.from), to: CheckpointModel.from(proof.to), path: proof.path.map(hex) };
  }

  @Query(() => [SigningKeyModel], { description: 'Public keys that sign checkpoints (JWK and PEM), newest first. Permission: auditRead.' })
  async ledgerSigningKeys(@CurrentCaller() caller: Caller): Promise<SigningKeyModel[]> {
    return (await this.queries.execute(new ListSigningKeysQuery(caller))).map((k) => SigningKeyModel.from(k));
  }

  @Query(() => LedgerVerificationModel, { description: 'Recomputes the hash chain from..to and every checkpoint it covers. Permission: auditRead.' })
  async verifyLedger(
    @CurrentCaller() caller: Caller,
    @Args('from', { type: () => Int, nullable: true }) from: number | null,
    @Args('to', { type: () => Int, nullable: true }) to: number | null,
  ): Promise<LedgerVerificationModel> {
    return LedgerVerificationModel.from(await this.queries.execute(new VerifyLedgerQuery(caller, from, to)));
  }

  @Query(() => AuditEntryConnectionModel, { description: 'Ledger entries matching a filter, in seq order (stable while entries arrive). Permission: auditRead.' })
  async auditEntries(
    @CurrentCaller() caller: Caller,
    @Args('filter', { type: () => AuditFilterInputModel, nullable: true }) filter: AuditFilterInputModel | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<AuditEntryConnectionModel> {
    return connection(await this.queries.execute(new ListAuditEntriesQuery(caller, filter, first, after)));
  }

  @Query(() => [AuditCountModel], { description: 'Entry counts per group over the entries matching a filter. Permission: auditRead.' })
  auditSummary(
    @CurrentCaller() caller: Caller,
    @Args('groupBy', { type: () => AuditGroupByModel }) groupBy: AuditGroupByModel,
    @Args('filter', { type: () => AuditFilterInputModel, nullable: true }) filter: AuditFilterInputModel | null,
  ): Promise<AuditCountModel[]> {
    return this.queries.execute(new SummarizeAuditQuery(caller, groupBy, filter));
  }

  @Query(() => AuditEntryConnectionModel, { description: 'Every access to one key (kid /vaults/<v>/keys/<name>) across the vaults it lived in. Permission: auditRead.' })
  async keyAccessHistory(
    @CurrentCaller() caller: Caller,
    @Args('keyId') keyId: string,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<AuditEntryConnectionModel> {
    return connection(await this.queries.execute(new KeyAccessHistoryQuery(caller, keyId, first, after)));
  }
}
