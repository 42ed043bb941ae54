import { Field, InputType, Int } from '@nestjs/graphql';
import { TagInput } from '../keys/key.input';

@InputType()
export class GenerateDataKeyInput {
  @Field() vault!: string;
  @Field({ description: 'an AES (wrapped with CKM_AES_KEY_WRAP_PAD) or RSA (RSA-OAEP) key' }) key!: string;
  @Field(() => String, { nullable: true, description: 'latest (default), vN or N' }) version?: string | null;
  @Field(() => Int, { description: '128, 192 or 256' }) bits!: number;
  @Field() owner!: string;
  @Field(() => [TagInput], { nullable: true, description: 'at most 15 name/value labels' }) labels?: TagInput[] | null;
  @Field(() => Date, { nullable: true, description: "end of the record's lifetime (default: the key's escrow lifetime, if set)" }) expiresAt?: Date | null;
}

@InputType()
export class DepositWrappedKeyInput {
  @Field() vault!: string;
  @Field() key!: string;
  @Field(() => String, { nullable: true }) version?: string | null;
  @Field({ description: 'what wrapKey used: CKM_AES_KEY_WRAP_PAD, A128KW, A192KW, A256KW, RSA_OAEP, RSA_OAEP_256' }) algorithm!: string;
  @Field({ description: 'base64url wrapped key, as wrapKey returned it' }) wrapped!: string;
  @Field() owner!: string;
  @Field(() => [TagInput], { nullable: true }) labels?: TagInput[] | null;
  @Field(() => Date, { nullable: true, description: "end of the record's lifetime (default: the key's escrow lifetime, if set)" }) expiresAt?: Date | null;
}

@InputType()
export class EscrowRecordFilterInput {
  @Field() vault!: string;
  @Field(() => String, { nullable: true }) key?: string | null;
  @Field(() => String, { nullable: true, description: 'with key: records under this version' }) version?: string | null;
  @Field(() => String, { nullable: true }) owner?: string | null;
  @Field(() => [TagInput], { nullable: true, description: 'records carrying all of these labels' }) labels?: TagInput[] | null;
}

@InputType({ description: 'Which records move: under this key, at these versions (exactly one of fromVersions, allBelowVersion).' })
export class RewrapSelectorInput {
  @Field() vault!: string;
  @Field() key!: string;
  @Field(() => [Int], { nullable: true }) fromVersions?: number[] | null;
  @Field(() => Int, { nullable: true, description: 'every version below this one' }) allBelowVersion?: number | null;
  @Field(() => String, { nullable: true }) owner?: string | null;
  @Field(() => [TagInput], { nullable: true }) labels?: TagInput[] | null;
}

@InputType({ description: 'Where they move: a key in the same HSM pool (another vault is fine).' })
export class RewrapTargetInput {
  @Field() vault!: string;
  @Field() key!: string;
  @Field(() => String, { nullable: true, description: 'latest (default, resolved at start), vN or N' }) version?: string | null;
}
