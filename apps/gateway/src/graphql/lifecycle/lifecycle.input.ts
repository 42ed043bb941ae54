import { Field, InputType } from '@nestjs/graphql';

@InputType()
export class LifetimeActionInput {
  @Field({ description: 'rotate or notify' }) action!: string;
  @Field(() => String, { nullable: true, description: 'ISO-8601 duration after the latest version was created (rotate only)' }) timeAfterCreate?: string | null;
  @Field(() => String, { nullable: true, description: "ISO-8601 duration before the latest version's expiry" }) timeBeforeExpiry?: string | null;
}

@InputType()
export class RotationPolicyInput {
  @Field(() => String, { nullable: true, description: 'ISO-8601 duration: expiry of versions the policy creates' }) expiryTime?: string | null;
  @Field(() => [LifetimeActionInput]) lifetimeActions!: LifetimeActionInput[];
  @Field(() => Boolean, { nullable: true, description: "after a rotation, re-wrap the key's escrow records to the new version (default false)" })
  rewrapEscrow?: boolean | null;
}

@InputType()
export class CreateWebhookInput {
  @Field() name!: string;
  @Field({ description: 'https only' }) url!: string;
  @Field({ description: 'HMAC-SHA256 key of the keybridge-signature header (32-256 characters); never shown again' }) secret!: string;
  @Field(() => [String], { description: 'KeyRotated, KeyNearExpiry, KeyExpired, TransportKeyExpired, RewrapJobFinished' }) eventKinds!: string[];
  @Field(() => [String], { nullable: true, description: 'only events of these vaults (default every vault)' }) vaults?: string[] | null;
  @Field(() => String, { nullable: true, description: "PEM of the CA of the receiver's certificate, for private CAs" }) caCertificate?: string | null;
}
