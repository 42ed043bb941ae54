import { Args, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { CreateWebhookCommand, DeleteWebhookCommand, KeyEvent, KeyEventWatcher, ListKeyEventsQuery, ListWebhookDeliveriesQuery, ListWebhooksQuery } from '@keybridge/events';
import { GetRotationPolicyQuery, SetRotationPolicyCommand } from '@keybridge/lifecycle';
import { CurrentCaller } from '../../auth/current-caller.decorator';
import { CreateWebhookInput, RotationPolicyInput } from './lifecycle.input';
import { KeyEventModel, RotationPolicyModel, WebhookDeliveryModel, WebhookModel } from './lifecycle.model';

/** Rotation policies, domain events and their webhooks. */
@Resolver()
export class LifecycleResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly watcher: KeyEventWatcher,
  ) {}

  @Mutation(() => RotationPolicyModel, { description: 'Sets or replaces the key\'s rotation policy (the worker applies it). Permission: update (+ manageJobs and escrowRelease with rewrapEscrow).' })
  async setRotationPolicy(
    @CurrentCaller() caller: Caller,
    @Args('vault') vault: string,
    @Args('name') name: string,
    @Args('policy') policy: RotationPolicyInput,
  ): Promise<RotationPolicyModel> {
    const normalised = {
      expiryTime: policy.expiryTime ?? null,
      lifetimeActions: policy.lifetimeActions.map((a) => ({ action: a.action as 'rotate' | 'notify', timeAfterCreate: a.timeAfterCreate ?? null, timeBeforeExpiry: a.timeBeforeExpiry ?? null })),
      rewrapEscrow: policy.rewrapEscrow ?? false,
    };
    return RotationPolicyModel.from(await this.commands.execute(new SetRotationPolicyCommand(caller, vault, name, normalised)));
  }

  @Query(() => RotationPolicyModel, { nullable: true, description: 'The key\'s rotation policy, or null. Permission: get.' })
  async rotationPolicy(@CurrentCaller() caller: Caller, @Args('vault') vault: string, @Args('name') name: string): Promise<RotationPolicyModel | null> {
    const policy = await this.queries.execute(new GetRotationPolicyQuery(caller, vault, name));
    return policy && RotationPolicyModel.from(policy);
  }

  @Mutation(() => WebhookModel, { description: 'Registers an HTTPS receiver of domain events, signed with HMAC-SHA256. Admin.' })
  async createWebhook(@CurrentCaller() caller: Caller, @Args('input') input: CreateWebhookInput): Promise<WebhookModel> {
    return WebhookModel.from(await this.commands.execute(new CreateWebhookCommand(caller, input)));
  }

  @Mutation(() => Boolean, { description: 'Removes a webhook and its delivery log. Admin.' })
  deleteWebhook(@CurrentCaller() caller: Caller, @Args('name') name: string): Promise<boolean> {
    return this.commands.execute(new DeleteWebhookCommand(caller, name));
  }

  @Query(() => [WebhookModel], { description: 'Admin or auditRead.' })
  async webhooks(@CurrentCaller() caller: Caller): Promise<WebhookModel[]> {
    return (await this.queries.execute(new ListWebhooksQuery(caller))).map((w) => WebhookModel.from(w));
  }

  @Query(() => [WebhookDeliveryModel], { description: 'The delivery log, newest first. Admin or auditRead.' })
  async webhookDeliveries(
    @CurrentCaller() caller: Caller,
    @Args('webhook', { type: () => String, nullable: true }) webhook: string | null,
    @Args('state', { type: () => String, nullable: true }) state: string | null,
    @Args('eventId', { type: () => Int, nullable: true }) eventId: number | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
  ): Promise<WebhookDeliveryModel[]> {
    return (await this.queries.execute(new ListWebhookDeliveriesQuery(caller, { endpoint: webhook ?? null, state: state ?? null, eventId: eventId ?? null }, first ?? null))).map((d) => WebhookDeliveryModel.from(d));
  }

  @Query(() => [KeyEventModel], { description: 'Domain events in order after an id (poll with the last id you saw). Admin or auditRead.' })
  async keyEvents(
    @CurrentCaller() caller: Caller,
    @Args('vaults', { type: () => [String], nullable: true }) vaults: string[] | null,
    @Args('kinds', { type: () => [String], nullable: true }) kinds: string[] | null,
    @Args('afterId', { type: () => Int, nullable: true }) afterId: number | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
  ): Promise<KeyEventModel[]> {
    return (await this.queries.execute(new ListKeyEventsQuery(caller, { vaults: vaults ?? null, kinds: kinds ?? null, afterId: afterId ?? null }, first ?? null))).map((e) => KeyEventModel.from(e));
  }

  @Subscription(() => KeyEventModel, {
    description: 'Domain events as they are committed (graphql-ws), from now on or after afterId. Admin or auditRead.',
    resolve: (event: KeyEvent) => KeyEventModel.from(event),
  })
  keyEventStream(
    @CurrentCaller() caller: Caller,
    @Args('vaults', { type: () => [String], nullable: true }) vaults: string[] | null,
    @Args('kinds', { type: () => [String], nullable: true }) kinds: string[] | null,
    @Args('afterId', { type: () => Int, nullable: true }) afterId: number | null,
  ): Promise<AsyncIterableIterator<KeyEvent>> {
    return this.watcher.watch(caller, { vaults: vaults ?? null, kinds: kinds ?? null, afterId: afterId ?? null });
  }
}
