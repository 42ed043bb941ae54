import { Field, InputType, Int } from '@nestjs/graphql';
import { TagInput } from '../keys/key.input';

@InputType()
export class CreateTransportKeyInput {
  @Field() vault!: string;
  @Field(() => Int, { nullable: true, description: 'RSA 2048, 3072 (default) or 4096' }) size?: number | null;
  @Field(() => Int, { nullable: true, description: 'lifetime in seconds, 60 to 604800; default 86400 (24 h)' }) expiresIn?: number | null;
  @Field(() => Int, { nullable: true, description: 'imports it may serve, 1 (default) to 100' }) maxUses?: number | null;
}

@InputType({ description: 'A BYOK import: the blob and what it holds. The key is created, or gets a new version if it exists.' })
export class ImportKeyInput {
  @Field() vault!: string;
  @Field() name!: string;
  @Field({ description: 'What the blob holds: RSA, EC or oct (AES); checked after the unwrap' }) kty!: string;
  @Field(() => Int, { nullable: true, description: 'RSA 2048 (default), 3072, 4096; AES 128, 192, 256 (default)' }) size?: number | null;
  @Field(() => String, { nullable: true, description: 'P-256 (default), P-384, P-521, secp256k1' }) curve?: string | null;
  @Field(() => [String], { nullable: true }) keyOps?: string[] | null;
  @Field(() => [TagInput], { nullable: true }) tags?: TagInput[] | null;
  @Field(() => Boolean, { nullable: true }) exportable?: boolean | null;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
  @Field(() => Date, { nullable: true }) nbf?: Date | null;
  @Field(() => Date, { nullable: true }) exp?: Date | null;
  @Field({ description: 'byok (Azure .byok JSON text in blob) or raw (CKM_RSA_AES_KEY_WRAP bytes, base64 or base64url)' }) format!: string;
  @Field({ description: 'at most 65536 characters' }) blob!: string;
  @Field(() => String, { nullable: true, description: 'raw: required; byok: from the header' }) transportKid?: string | null;
  @Field(() => String, { nullable: true, description: 'raw: required, SHA-1 or SHA-256; byok: SHA-1' }) oaepHash?: string | null;
  @Field(() => String, { nullable: true, description: 'SPKI PEM, base64url SPKI DER or public JWK; required for EC' }) publicKey?: string | null;
}
