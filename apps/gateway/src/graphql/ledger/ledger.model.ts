import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Checkpoint, checkpointDocument, LedgerEntry, LedgerVerification, SigningKeyRecord } from '@keybridge/ledger';
import { PageInfoModel } from '../keys/key.model';

export enum AuditGroupByModel {
  OPERATION = 'OPERATION',
  PRINCIPAL = 'PRINCIPAL',
  KEY = 'KEY',
  OUTCOME = 'OUTCOME',
  DAY = 'DAY',
}
registerEnumType(AuditGroupByModel, { name: 'AuditGroupBy' });

export enum AuditOutcomeModel {
  success = 'success',
  denied = 'denied',
  failed = 'failed',
}
registerEnumType(AuditOutcomeModel, { name: 'AuditOutcome' });

@ObjectType('LedgerCheckpoint', { description: 'A signed RFC 9162 tree head over ledger entries 1..treeSize' })
export class CheckpointModel {
  @Field(() => Int) treeSize!: number;
  @Field({ description: 'hex' }) rootHash!: string;
  @Field() signedAt!: Date;
  @Field({ description: 'RFC 7638 thumbprint of the signing key' }) keyId!: string;
  @Field() algorithm!: string;
  @Field({ description: 'ECDSA P-256 r||s, base64url' }) signature!: string;
  @Field({ description: 'The checkpoint file for `keybridge ledger verify --checkpoint` (JSON)' }) document!: string;

  static from(cp: Checkpoint): CheckpointModel {
    const doc = checkpointDocument(cp);
    return Object.assign(new CheckpointModel(), {
      treeSize: cp.treeSize,
      rootHash: doc.rootHash,
      signedAt: cp.signedAt,
      keyId: cp.keyId,
      algorithm: doc.algorithm,
      signature: doc.signature,
      document: JSON.stringify(doc),
    });
  }
}

@ObjectType('LedgerPublicJwk')
export class PublicJwkModel {
  @Field() kty!: string;
  @Field() crv!: string;
  @Field() x!: string;
  @Field() y!: string;
}

@ObjectType('LedgerSigningKey', { description: 'Public half of a checkpoint signing key (the private half never leaves its HSM)' })
export class SigningKeyModel {
  @Field() keyId!: string;
  @Field() algorithm!: string;
  @Field() pool!: string;
  @Field() createdAt!: Date;
  @Field(() => PublicJwkModel) jwk!: PublicJwkModel;
  @Field({ description: 'SPKI PEM' }) pem!: string;

  static from(k: SigningKeyRecord): SigningKeyModel {
    return Object.assign(new SigningKeyModel(), { keyId: k.keyId, algorithm: k.algorithm, pool: k.pool, createdAt: k.createdAt, jwk: k.jwk, pem: k.pem });
  }
}

@ObjectType('AuditEntry', { description: 'One ledger entry with its hashes (hex)' })
export class AuditEntryModel {
  @Field(() => Int) seq!: number;
  @Field() recordedAt!: Date;
  @Field(() => String, { nullable: true }) principalId!: string | null;
  @Field(() => String, { nullable: true }) vault!: string | null;
  @Field(() => String, { nullable: true }) keyName!: string | null;
  @Field(() => Int, { nullable: true }) keyVersion!: number | null;
  @Field(() => String, { nullable: true, description: '/vaults/<vault>/keys/<name>[/<version>]' }) kid!: string | null;
  @Field() operation!: string;
  @Field() outcome!: string;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => String, { nullable: true }) traceId!: string | null;
  @Field(() => String, { nullable: true }) paramsDigest!: string | null;
  @Field({ description: 'JSON object' }) details!: string;
  @Field() prevHash!: string;
  @Field() entryHash!: string;

  static from(e: LedgerEntry): AuditEntryModel {
    const kid = e.vault && e.keyName ? `/vaults/${e.vault}/keys/${e.keyName}${e.keyVersion ? `/${e.keyVersion}` : ''}` : null;
    return Object.assign(new AuditEntryModel(), {
      ...e,
      kid,
      details: JSON.stringify(e.details),
      prevHash: e.prevHash.toString('hex'),
      entryHash: e.entryHash.toString('hex'),
    });
  }
}

@ObjectType('AuditEntryEdge')
export class AuditEntryEdgeModel {
  @Field() cursor!: string;
  @Field(() => AuditEntryModel) node!: AuditEntryModel;
}

@ObjectType('AuditEntryConnection')
export class AuditEntryConnectionModel {
  @Field(() => [AuditEntryEdgeModel]) edges!: AuditEntryEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
}

@ObjectType('AuditCount')
export class AuditCountModel {
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => Int) count!: number;
}

@ObjectType('InclusionProof', { description: 'RFC 9162 inclusion proof of one entry (leaf seq-1) in a signed checkpoint' })
export class InclusionProofModel {
  @Field(() => AuditEntryModel) entry!: AuditEntryModel;
  @Field(() => Int) leafIndex!: number;
  @Field({ description: 'SHA-256(0x00 || entry_hash), hex' }) leafHash!: string;
  @Field(() => [String], { description: 'audit path, leaf upwards, hex' }) path!: string[];
  @Field(() => CheckpointModel) checkpoint!: CheckpointModel;
}

@ObjectType('ConsistencyProof', { description: 'RFC 9162 consistency proof between two signed checkpoints' })
export class ConsistencyProofModel {
  @Field(() => CheckpointModel) from!: CheckpointModel;
  @Field(() => CheckpointModel) to!: CheckpointModel;
  @Field(() => [String], { description: 'hex' }) path!: string[];
}

@ObjectType('LedgerVerification')
export class LedgerVerificationModel {
  @Field() ok!: boolean;
  @Field(() => Int, { description: 'entries whose hash and link verified' }) checked!: number;
  @Field(() => Int, { nullable: true }) firstBadSeq!: number | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => Int) checkpointsChecked!: number;
  @Field(() => Int) signaturesChecked!: number;
  @Field(() => Int) from!: number;
  @Field(() => Int) to!: number;
  @Field(() => Int) headSeq!: number;
  @Field(() => Int) durationMs!: number;

  static from(v: LedgerVerification): LedgerVerificationModel {
    return Object.assign(new LedgerVerificationModel(), {
      ok: v.ok,
      checked: v.checked,
      firstBadSeq: v.firstBadSeq ?? null,
      reason: v.reason ?? null,
      checkpointsChecked: v.checkpointsChecked ?? 0,
      signaturesChecked: v.signaturesChecked,
      from: v.from,
      to: v.to,
      headSeq: v.headSeq,
      durationMs: v.durationMs,
    });
  }
}
