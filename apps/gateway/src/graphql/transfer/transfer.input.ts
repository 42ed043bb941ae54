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
