import { Field, Int, ObjectType } from '@nestjs/graphql';
import { KeyView } from '@keybridge/keys';

@ObjectType('Tag')
export class TagModel {
  @Field() name!: string;
  @Field() value!: string;
}

@ObjectType('Jwk', { description: 'Public part of a key version (RFC 7517). Private members are never returned.' })
export class JwkModel {
  @Field() kid!: string;
  @Field() kty!: string;
  @Field(() => [String]) key_ops!: string[];
  @Field({ nullable: true }) n?: string;
  @Field({ nullable: true }) e?: string;
  @Field({ nullable: true }) crv?: string;
  @Field({ nullable: true }) x?: string;
  @Field({ nullable: true }) y?: string;
}

@ObjectType('Key', { description: 'One version of a key: /vaults/<vault>/keys/<name>/<version>' })
export class KeyModel {
  @Field() kid!: string;
  @Field() vault!: string;
  @Field() name!: string;
  @Field(() => Int) version!: number;
  @Field() kty!: string;
  @Field(() => Int, { nullable: true }) size!: number | null;
  @Field(() => String, { nullable: true }) curve!: string | null;
  @Field(() => [String]) keyOps!: string[];
  @Field(() => [TagModel]) tags!: TagModel[];
  @Field({ description: 'May the key ever leave its HSM, wrapped under a trusted key (transfer, backup)?' }) exportable!: boolean;
  @Field() enabled!: boolean;
  @Field(() => Date, { nullable: true }) nbf!: Date | null;
  @Field(() => Date, { nullable: true }) exp!: Date | null;
  @Field() origin!: string;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field(() => Int) latestVersion!: number;
  @Field(() => Int) minDecryptVersion!: number;
  @Field(() => Date, { nullable: true }) deletedAt!: Date | null;
  @Field(() => Date, { nullable: true }) scheduledPurgeAt!: Date | null;
  @Field(() => JwkModel) jwk!: JwkModel;

  static from(view: KeyView): KeyModel {
    return Object.assign(new KeyModel(), view, {
      tags: Object.entries(view.tags).map(([name, value]) => ({ name, value })),
      jwk: view.jwk,
    });
  }
}

@ObjectType('PageInfo')
export class PageInfoModel {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType('KeyEdge')
export class KeyEdgeModel {
  @Field() cursor!: string;
  @Field(() => KeyModel) node!: KeyModel;
}

@ObjectType('KeyConnection')
export class KeyConnectionModel {
  @Field(() => [KeyEdgeModel]) edges!: KeyEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
}
