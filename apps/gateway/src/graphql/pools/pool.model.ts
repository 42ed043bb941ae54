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
  @Field({ description: 'RFC 5649 wrap of values whose length is not a multiple of 8' }) aesKeyWrapPadUnaligned!: boolean;
  @Field({ description: 'The module enforces CKA_WRAP_WITH_TRUSTED; exportable keys are only created where it does' })
  wrapWithTrustedEnforced!: boolean;
  @Field(() => Int) maxUnwrapValueBytes!: number;
  @Field({ description: 'The module has a security officer who alone can mark keys CKA_TRUSTED' }) securityOfficer!: boolean;
}

@ObjectType('Pool')
export class PoolModel {
  @Field() name!: string;
  @Field() tokenLabel!: string;
  @Field(() => PoolCapabilitiesModel) capabilities!: PoolCapabilitiesModel;
  @Field({
    description:
      'How exportable keys leave the pool: trusted (CKA_WRAP_WITH_TRUSTED, security-officer steps), pinOnly (the module does not enforce it and the pool allows it anyway, so every PIN holder could read them out), refused',
  })
  exportPolicy!: string;
  @Field({ description: 'A security-officer PIN source is configured (exports under policy trusted need it)' }) securityOfficerConfigured!: boolean;
}
