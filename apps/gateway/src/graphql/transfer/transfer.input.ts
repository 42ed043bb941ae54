import { Field, InputType, Int } from '@nestjs/graphql';

@InputType()
export class TransferKeyInput {
  @Field({ description: 'Source vault (permission transfer)' }) vault!: string;
  @Field({ description: 'Source key name' }) name!: string;
  @Field(() => [Int], { nullable: true, description: 'Versions to transfer; all when absent' }) versions?: number[] | null;
  @Field({ description: 'Target vault (permission import); any pool, any vendor' }) targetVault!: string;
  @Field(() => String, { nullable: true, description: 'Name in the target vault; the source name when absent' }) targetName?: string | null;
  @Field(() => String, { nullable: true, description: 'copy (default) keeps the source; move disables the transferred source versions after the target is verified' })
  mode?: string | null;
}

@InputType()
export class CreateSecurityDomainInput {
  @Field({ description: 'Domain name (a-z 0-9 -)' }) name!: string;
  @Field({ description: 'Pool that makes the domain key and is its first member' }) pool!: string;
  @Field(() => [String], { description: 'Custodian RSA public keys (SPKI PEM or JWK JSON), 3 or more, ≥ 2048 bits, all different' }) custodians!: string[];
  @Field(() => Int, { description: 'Shares needed to activate the domain on another pool (2..custodians)' }) quorum!: number;
}

@InputType()
export class ActivateSecurityDomainInput {
  @Field() domain!: string;
  @Field({ description: 'Pool that joins the domain' }) pool!: string;
  @Field(() => [String], { description: 'keybridge.decrypted-share JSON documents (keybridge custodian decrypt-share)' }) shares!: string[];
}

@InputType()
export class StartVaultMigrationInput {
  @Field({ description: 'Source vault (permissions transfer and manageJobs)' }) sourceVault!: string;
  @Field({ description: 'Target vault (permission import)' }) targetVault!: string;
  @Field(() => String, { nullable: true, description: 'copy (default) or move' }) mode?: string | null;
}
