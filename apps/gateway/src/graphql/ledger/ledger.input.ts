import { Field, InputType } from '@nestjs/graphql';
import { AuditOutcomeModel } from './ledger.model';

@InputType('AuditFilterInput', { description: 'Lists match any of their values; dimensions combine with AND' })
export class AuditFilterInputModel {
  @Field(() => [String], { nullable: true }) vaults?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'key ids /vaults/<vault>/keys/<name>' }) keys?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'principal ids' }) principals?: string[] | null;
  @Field(() => [String], { nullable: true }) operations?: string[] | null;
  @Field(() => [AuditOutcomeModel], { nullable: true }) outcomes?: AuditOutcomeModel[] | null;
  @Field(() => Date, { nullable: true, description: 'recorded at or after' }) from?: Date | null;
  @Field(() => Date, { nullable: true, description: 'recorded before' }) to?: Date | null;
  @Field(() => String, { nullable: true }) traceId?: string | null;
}
