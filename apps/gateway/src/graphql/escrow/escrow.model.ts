import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DataKeyResult, EscrowRecord, RewrapFailure, RewrapFailureReason, RewrapJobView, RewrapWrappedKeysResult } from '@keybridge/escrow';
import { keyId, Page } from '@keybridge/keys';
import { PageInfoModel } from '../keys/key.model';

registerEnumType(RewrapFailureReason, { name: 'RewrapFailureReason', description: 'Why a record could not be moved (it keeps its old wrapping)' });

@ObjectType('Label')
export class LabelModel {
  @Field() name!: string;
  @Field() value!: string;
}

const labelList = (labels: Record<string, string> | null): LabelModel[] =>
  Object.entries(labels ?? {}).map(([name, value]) => ({ name, value }));

@ObjectType('EscrowRecord', { description: 'An escrowed data key: metadata and its current wrapping (never the bytes).' })
export class EscrowRecordModel {
  @Field(() => ID) id!: string;
  @Field() vault!: string;
  @Field(() => String, { nullable: true, description: 'null once the key was purged' }) key!: string | null;
  @Field(() => Int) keyVersion!: number;
  @Field(() => String, { nullable: true, description: 'the wrapping key version' }) kid!: string | null;
  @Field({ description: 'CKM_AES_KEY_WRAP_PAD, A128KW/A192KW/A256KW, RSA_OAEP or RSA_OAEP_256' }) algorithm!: string;
  @Field(() => Int, { nullable: true, description: 'known for generated keys' }) bits!: number | null;
  @Field() owner!: string;
  @Field(() => [LabelModel]) labels!: LabelModel[];
  @Field({ description: 'generated or deposited' }) origin!: string;
  @Field(() => Int, { description: 'how often a re-wrap job moved it' }) rewrapCount!: number;
  @Field(() => Date, { nullable: true, description: 'not released after this; then purged' }) expiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'when its wrapped bytes were removed (its ledger history stays)' }) purgedAt!: Date | null;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;

  static from(r: EscrowRecord): EscrowRecordModel {
    return {
      id: r.id,
      vault: r.vault,
      key: r.keyName,
      keyVersion: r.keyVersion,
      kid: r.keyName === null ? null : keyId(r.vault, r.keyName, r.keyVersion),
      algorithm: r.algorithm,
      bits: r.dekBits,
      owner: r.owner,
      labels: labelList(r.labels),
      origin: r.origin,
      rewrapCount: r.rewrapCount,
      expiresAt: r.expiresAt,
      purgedAt: r.purgedAt,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    };
  }
}

@ObjectType('DataKey')
export class DataKeyModel {
  @Field(() => EscrowRecordModel) record!: EscrowRecordModel;
  @Field({ description: 'base64url data key; returned once by generateDataKey, and by each releaseDataKey' }) plaintext!: string;

  static from(r: DataKeyResult): DataKeyModel {
    return { record: EscrowRecordModel.from(r.record), plaintext: r.plaintext };
  }
}

@ObjectType('EscrowRecordEdge')
export class EscrowRecordEdgeModel {
  @Field() cursor!: string;
  @Field(() => EscrowRecordModel) node!: EscrowRecordModel;
}

@ObjectType('EscrowRecordConnection')
export class EscrowRecordConnectionModel {
  @Field(() => [EscrowRecordEdgeModel]) edges!: EscrowRecordEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
}

export function connection<T, M>(page: Page<T>, map: (node: T) => M): { edges: Array<{ cursor: string; node: M }>; pageInfo: PageInfoModel } {
  const edges = page.items.map(({ cursor, node }) => ({ cursor, node: map(node) }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}

@ObjectType('RewrapSelector')
export class RewrapSelectorModel {
  @Field() vault!: string;
  @Field() key!: string;
  @Field(() => [Int]) fromVersions!: number[];
  @Field(() => Int, { nullable: true }) allBelowVersion!: number | null;
  @Field(() => String, { nullable: true }) owner!: string | null;
  @Field(() => [LabelModel]) labels!: LabelModel[];
}

@ObjectType('RewrapTarget')
export class RewrapTargetModel {
  @Field() vault!: string;
  @Field() key!: string;
  @Field(() => Int) version!: number;
  @Field() kid!: string;
  @Field() algorithm!: string;
}

@ObjectType('RewrapProgress')
export class RewrapProgressModel {
  @Field(() => Float, { description: 'records selected when the job started' }) total!: number;
  @Field(() => Float, { description: 'records moved' }) done!: number;
  @Field(() => Float, { description: 'records that failed (see rewrapFailures)' }) failed!: number;
  @Field(() => Float, { description: 'records that changed wrapping meanwhile and were left alone' }) skipped!: number;
  @Field(() => Float) remaining!: number;
  @Field(() => Float, { description: 'records per second of running time' }) ratePerSecond!: number;
  @Field(() => Float, { nullable: true, description: 'seconds left at the current rate, while running' }) etaSeconds!: number | null;
}

@ObjectType('RewrapJob')
export class RewrapJobModel {
  @Field(() => ID) id!: string;
  @Field({ description: 'running, paused, cancelled, completed or failed' }) status!: string;
  @Field(() => String, { nullable: true, description: 'why a failed job stopped (a typed error code)' }) errorCode!: string | null;
  @Field(() => RewrapSelectorModel) selector!: RewrapSelectorModel;
  @Field(() => RewrapTargetModel) target!: RewrapTargetModel;
  @Field(() => Int) batchSize!: number;
  @Field(() => Int, { nullable: true }) maxRatePerSecond!: number | null;
  @Field(() => Int, { description: 'ranges worked on at once, across workers' }) slots!: number;
  @Field(() => RewrapProgressModel) progress!: RewrapProgressModel;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;

  static from({ job, progress }: RewrapJobView): RewrapJobModel {
    return {
      id: job.id,
      status: job.status,
      errorCode: job.errorCode,
      selector: {
        vault: job.source.vault,
        key: job.source.key,
        fromVersions: job.source.fromVersions,
        allBelowVersion: job.source.belowVersion,
        owner: job.source.owner,
        labels: labelList(job.source.labels),
      },
      target: { ...job.target, kid: keyId(job.target.vault, job.target.key, job.target.version) },
      batchSize: job.batchSize,
      maxRatePerSecond: job.maxRatePerSecond,
      slots: job.slots,
      progress,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      finishedAt: job.finishedAt,
    };
  }
}

@ObjectType('RewrapJobEdge')
export class RewrapJobEdgeModel {
  @Field() cursor!: string;
  @Field(() => RewrapJobModel) node!: RewrapJobModel;
}

@ObjectType('RewrapJobConnection')
export class RewrapJobConnectionModel {
  @Field(() => [RewrapJobEdgeModel]) edges!: RewrapJobEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
}

@ObjectType('RewrapFailure')
export class RewrapFailureModel {
  @Field(() => ID) recordId!: string;
  @Field(() => RewrapFailureReason) reason!: RewrapFailureReason;
  @Field() message!: string;
  @Field(() => Int) attempts!: number;
  @Field() failedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'set when a retry moved the record' }) resolvedAt!: Date | null;

  static from(f: RewrapFailure): RewrapFailureModel {
    return { recordId: f.recordId, reason: f.reason, message: f.message, attempts: f.attempts, failedAt: f.failedAt, resolvedAt: f.resolvedAt };
  }
}

@ObjectType('RewrapFailureEdge')
export class RewrapFailureEdgeModel {
  @Field() cursor!: string;
  @Field(() => RewrapFailureModel) node!: RewrapFailureModel;
}

@ObjectType('RewrapFailureConnection')
export class RewrapFailureConnectionModel {
  @Field(() => [RewrapFailureEdgeModel]) edges!: RewrapFailureEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
}

@ObjectType('RewrappedItem')
export class RewrappedItemModel {
  @Field(() => String, { nullable: true, description: 'base64url, wrapped under the target' }) value!: string | null;
  @Field(() => String, { nullable: true, description: 'the typed error of this item' }) error!: string | null;
}

@ObjectType('RewrapWrappedKeysResult')
export class RewrapWrappedKeysResultModel {
  @Field() sourceKid!: string;
  @Field({ description: 'the target key version' }) kid!: string;
  @Field() algorithm!: string;
  @Field(() => [RewrappedItemModel], { description: 'one per input item, in order' }) items!: RewrappedItemModel[];

  static from(r: RewrapWrappedKeysResult): RewrapWrappedKeysResultModel {
    return r;
  }
}
