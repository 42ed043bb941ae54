import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('PoolCapabilities', { description: 'What the pool\'s PKCS#11 module can do with private and secret keys' })
export class PoolCapabilitiesModel {
  @Field() vendor!: string;
  @Field(() => [String]) oaepHashes!: string[];
  @Field() rsaAesKeyWrap!: boolean;
  @Field(() => Int) aesKeyWrapPadMechanism!: number;
  @Field() aesKeyWrap!: boolean;
  @Field() aesGcm!: boolean;
  @Field() rsaPss!: boolean;
  @Field() rsaPkcs1!: boolean;
  @Field(() => [String]) curves!: string[];
  @Field(() => [Int]) rsaBits!: number[];
  @Field(() => [Int]) aesBits!: number[];
}

@ObjectType('Pool')
export class PoolModel {
  @Field() name!: string;
  @Field() tokenLabel!: string;
  @Field(() => PoolCapabilitiesModel) capabilities!: PoolCapabilitiesModel;
}
