import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType('KeyOperationResult')
export class KeyOperationResultModel {
  @Field({ description: 'The key version used' }) kid!: string;
  @Field() algorithm!: string;
  @Field({ description: 'base64url' }) value!: string;
}

@ObjectType('EncryptResult')
export class EncryptResultModel extends KeyOperationResultModel {
  @Field(() => String, { nullable: true, description: 'AES-GCM: base64url iv (generated when not given)' }) iv!: string | null;
  @Field(() => String, { nullable: true, description: 'AES-GCM: base64url 16-byte tag' }) tag!: string | null;
  @Field(() => String, { nullable: true }) aad!: string | null;
}

@ObjectType('VerifyResult')
export class VerifyResultModel {
  @Field() kid!: string;
  @Field() algorithm!: string;
  @Field() valid!: boolean;
}
