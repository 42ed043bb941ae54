import { Field, Int, ObjectType } from '@nestjs/graphql';
import { AttestationKeyView, TransportKeyView } from '@keybridge/byok';
import { JwkModel } from '../keys/key.model';

@ObjectType('TransportKeyAttestation', {
  description:
    'ES256 signature by the vault\'s HSM-resident attestation key over `payload`, the RFC 8785 canonical JSON of ' +
    '{format: "keybridge.byok.transport-key-attestation", version: 1, kid, vault, pool, spki, keyOps, oaepHashes, maxUses, issuedAt, expiresAt, attestationKid}',
})
export class TransportKeyAttestationModel {
  @Field() format!: string;
  @Field() alg!: string;
  @Field({ description: 'The signed bytes (UTF-8), exactly' }) payload!: string;
  @Field({ description: 'base64url r || s' }) signature!: string;
  @Field() attestationKid!: string;
  @Field({ description: 'Pin this (attestationKey query) rather than trusting the copy here' }) attestationPublicKeyPem!: string;
}

@ObjectType('TransportKey', { description: 'A BYOK key-exchange key: RSA, in the vault\'s pool, its private half can only unwrap' })
export class TransportKeyModel {
  @Field() kid!: string;
  @Field() vault!: string;
  @Field() pool!: string;
  @Field(() => Int) size!: number;
  @Field({ description: 'active, expired, used or revoked' }) status!: string;
  @Field(() => [String]) keyOps!: string[];
  @Field(() => [String], { description: 'OAEP hashes the pool can unwrap; a blob must use one of them' }) oaepHashes!: string[];
  @Field(() => Int) maxUses!: number;
  @Field(() => Int) uses!: number;
  @Field() createdAt!: Date;
  @Field() expiresAt!: Date;
  @Field(() => Date, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the cleanup job destroyed its HSM object' }) destroyedAt!: Date | null;
  @Field({ description: 'SubjectPublicKeyInfo PEM' }) publicKeyPem!: string;
  @Field(() => JwkModel) jwk!: JwkModel;
  @Field(() => TransportKeyAttestationModel) attestation!: TransportKeyAttestationModel;

  static from(view: TransportKeyView): TransportKeyModel {
    return Object.assign(new TransportKeyModel(), view);
  }
}

@ObjectType('AttestationKey', { description: 'The vault\'s transport-key attestation key (EC P-256 in its pool); pin its public key' })
export class AttestationKeyModel {
  @Field() kid!: string;
  @Field() vault!: string;
  @Field() pool!: string;
  @Field() createdAt!: Date;
  @Field() alg!: string;
  @Field() publicKeyPem!: string;
  @Field(() => JwkModel) jwk!: JwkModel;

  static from(view: AttestationKeyView): AttestationKeyModel {
    return Object.assign(new AttestationKeyModel(), view);
  }
}
