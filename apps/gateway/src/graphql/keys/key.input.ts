import { Field, InputType, Int } from '@nestjs/graphql';

@InputType()
export class TagInput {
  @Field() name!: string;
  @Field() value!: string;
}

@InputType({ description: 'A key and optionally a version (latest, vN or N; default latest).' })
export class KeyRefInput {
  @Field() vault!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) version?: string | null;
}

@InputType()
export class CreateKeyInput {
  @Field() vault!: string;
  @Field() name!: string;
  @Field({ description: 'RSA, EC or oct (AES)' }) kty!: string;
  @Field(() => Int, { nullable: true, description: 'RSA 2048 (default), 3072, 4096; AES 128, 192, 256 (default)' }) size?: number | null;
  @Field(() => String, { nullable: true, description: 'P-256 (default), P-384, P-521, secp256k1' }) curve?: string | null;
  @Field(() => [String], { nullable: true, description: 'default: every operation the key type allows' }) keyOps?: string[] | null;
  @Field(() => [TagInput], { nullable: true, description: 'at most 15; names and values up to 256 characters' }) tags?: TagInput[] | null;
  @Field(() => Boolean, { nullable: true, description: 'default false: the key can never leave its HSM' }) exportable?: boolean | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
  @Field(() => Date, { nullable: true }) nbf?: Date | null;
  @Field(() => Date, { nullable: true }) exp?: Date | null;
}

@InputType({ description: 'Absent fields are unchanged; nbf: null or exp: null clears them. enabled/nbf/exp apply to the version.' })
export class UpdateKeyInput {
  @Field() vault!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) version?: string | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
  @Field(() => Date, { nullable: true }) nbf?: Date | null;
  @Field(() => Date, { nullable: true }) exp?: Date | null;
  @Field(() => [String], { nullable: true }) keyOps?: string[] | null;
  @Field(() => [TagInput], { nullable: true }) tags?: TagInput[] | null;
}
