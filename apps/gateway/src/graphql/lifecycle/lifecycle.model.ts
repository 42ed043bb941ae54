import { Field, Int, ObjectType } from '@nestjs/graphql';
import { KeyEvent, WebhookDelivery, WebhookView } from '@keybridge/events';
import { RotationPolicy } from '@keybridge/lifecycle';

@ObjectType('LifetimeAction')
export class LifetimeActionModel {
  @Field() action!: string;
  @Field(() => String, { nullable: true }) timeAfterCreate!: string | null;
  @Field(() => String, { nullable: true }) timeBeforeExpiry!: string | null;
}

@ObjectType('RotationPolicy')
export class RotationPolicyModel {
  @Field(() => String, { nullable: true }) expiryTime!: string | null;
  @Field(() => [LifetimeActionModel]) lifetimeActions!: LifetimeActionModel[];
  @Field() rewrapEscrow!: boolean;

  static from(policy: RotationPolicy): RotationPolicyModel {
    return Object.assign(new RotationPolicyModel(), policy, { lifetimeActions: policy.lifetimeActions.map((a) => Object.assign(new LifetimeActionModel(), a)) });
  }
}

@ObjectType('Webhook', { description: 'An HTTPS receiver of domain events (its secret is never returned)' })
export class WebhookModel {
  @Field() id!: string;
  @Field() name!: string;
  @Field() url!: string;
  @Field(() => [String]) eventKinds!: string[];
  @Field(() => [String], { nullable: true }) vaults!: string[] | null;
  @Field() hasCaCertificate!: boolean;
  @Field() enabled!: boolean;
  @Field() createdAt!: Date;

  static from(view: WebhookView): WebhookModel {
    return Object.assign(new WebhookModel(), view);
  }
}

@ObjectType('WebhookDelivery', { description: 'One event for one webhook: the delivery log' })
export class WebhookDeliveryModel {
  @Field() id!: string;
  @Field() webhook!: string;
  @Field(() => Int) eventId!: number;
  @Field() eventKind!: string;
  @Field({ description: 'pending, delivered or failed' }) state!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => Int, { nullable: true }) lastStatus!: number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;

  static from(d: WebhookDelivery): WebhookDeliveryModel {
    return Object.assign(new WebhookDeliveryModel(), d, { webhook: d.endpointName });
  }
}

@ObjectType('KeyEvent', { description: 'A domain event (also a ledger entry: ledgerSeq)' })
export class KeyEventModel {
  @Field(() => Int) id!: number;
  @Field() kind!: string;
  @Field(() => String, { nullable: true }) vault!: string | null;
  @Field(() => String, { nullable: true }) keyName!: string | null;
  @Field(() => Int, { nullable: true }) keyVersion!: number | null;
  @Field({ description: 'event metadata as JSON' }) data!: string;
  @Field(() => Int, { nullable: true, description: 'Seq of its ledger entry; null for the moment until the entry is integrated into the chain' })
  ledgerSeq!: number | null;
  @Field() createdAt!: Date;

  static from(e: KeyEvent): KeyEventModel {
    return Object.assign(new KeyEventModel(), e, { data: JSON.stringify(e.data) });
  }
}
