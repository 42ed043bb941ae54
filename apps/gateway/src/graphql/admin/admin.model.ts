import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType('Principal')
export class PrincipalModel {
  @Field() id!: string;
  @Field() name!: string;
  @Field(() => [String]) globalPermissions!: string[];
}

@ObjectType('ApiToken')
export class ApiTokenModel {
  @Field() id!: string;
  @Field() principalName!: string;
  @Field({ description: 'Shown once. Only its SHA-256 is stored.' }) token!: string;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
}

@ObjectType('Vault')
export class VaultModel {
  @Field() name!: string;
  @Field() pool!: string;
  @Field() createdAt!: Date;
}

@ObjectType('Grant')
export class GrantModel {
  @Field() principal!: string;
  @Field() vault!: string;
  @Field(() => [String]) permissions!: string[];
}

@ObjectType('PrincipalCertificateBinding')
export class PrincipalCertificateBindingModel {
  @Field() principalName!: string;
  @Field(() => String, { nullable: true, description: 'Subject as Node prints it (one ATTRIBUTE=value per line)' }) subject!: string | null;
  @Field(() => String, { nullable: true, description: 'Lowercase hex SHA-256 of the certificate DER' }) sha256!: string | null;
  @Field({ description: 'certificate | certificateAndToken' }) mode!: string;
}
