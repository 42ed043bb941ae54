import { Field, InputType, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('BatchItemError', { description: 'Why one item of a batch failed (the other items are unaffected)' })
export class BatchItemErrorModel {
  @Field({ description: 'The same codes as extensions.code of a single operation' }) code!: string;
  @Field() message!: string;
}

@ObjectType('KeyBatchItem')
export class KeyBatchItemModel {
  @Field(() => Int, { description: 'Position of the item in the request' }) index!: number;
  @Field(() => String, { nullable: true, description: 'base64url result (wrapped/unwrapped value, ciphertext, plaintext or signature); null on error' })
  value!: string | null;
  @Field(() => String, { nullable: true, description: 'encryptBatch with AES-GCM: base64url iv' }) iv!: string | null;
  @Field(() => String, { nullable: true, description: 'encryptBatch with AES-GCM: base64url tag' }) tag!: string | null;
  @Field(() => Boolean, { nullable: true, description: 'verifyBatch: whether the signature is valid' }) valid!: boolean | null;
  @Field(() => BatchItemErrorModel, { nullable: true }) error!: BatchItemErrorModel | null;
}

@ObjectType('KeyBatchResult', { description: 'One result per item, in request order; each item is its own ledger entry' })
export class KeyBatchResultModel {
  @Field({ description: 'The key version used' }) kid!: string;
  @Field() algorithm!: string;
  @Field(() => [KeyBatchItemModel]) items!: KeyBatchItemModel[];
}

@InputType()
export class EncryptItemInput {
  @Field({ description: 'base64url' }) plaintext!: string;
  @Field(() => String, { nullable: true }) iv?: string | null;
  @Field(() => String, { nullable: true }) aad?: string | null;
}

@InputType()
export class DecryptItemInput {
  @Field({ description: 'base64url' }) ciphertext!: string;
  @Field(() => String, { nullable: true }) iv?: string | null;
  @Field(() => String, { nullable: true }) aad?: string | null;
  @Field(() => String, { nullable: true }) tag?: string | null;
}

@InputType()
export class VerifyItemInput {
  @Field({ description: 'base64url' }) digest!: string;
  @Field({ description: 'base64url' }) signature!: string;
}
