import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { AuthError, AuthErrorCode, Caller, GlobalPermission } from '@keybridge/auth';
import { EventsError, EventsErrorCode } from '../events.errors';
import { KeyEvent } from '../key-event';
import { KeyEventRepository } from '../persistence/key-event.repository';
import { WebhookDelivery, WebhookRepository } from '../persistence/webhook.repository';
import { WebhookView, webhookView } from '../webhooks/webhook.view';
import { ListKeyEventsQuery, ListWebhookDeliveriesQuery, ListWebhooksQuery } from './list-webhooks.query';

export function requireAdminOrAuditor(caller: Caller): void {
  const held = caller.principal.globalPermissions;
  if (!held.includes(GlobalPermission.admin) && !held.includes(GlobalPermission.auditRead)) {
    throw new AuthError(AuthErrorCode.FORBIDDEN, 'missing permission admin or auditRead', { permission: 'auditRead' }).asDenial();
  }
}

function pageSize(first: number | null): number {
  if (first === null) return 100;
  if (!Number.isInteger(first) || first < 1 || first > 500) throw new EventsError(EventsErrorCode.INVALID_WEBHOOK, 'first must be 1 to 500', { field: 'first' });
  return first;
}

@QueryHandler(ListWebhooksQuery)
export class ListWebhooksHandler implements IQueryHandler<ListWebhooksQuery> {
  constructor(private readonly webhooks: WebhookRepository) {}

  async execute({ caller }: ListWebhooksQuery): Promise<WebhookView[]> {
    requireAdminOrAuditor(caller);
    return (await this.webhooks.endpoints()).map(webhookView);
  }
}

@QueryHandler(ListWebhookDeliveriesQuery)
export class ListWebhookDeliveriesHandler implements IQueryHandler<ListWebhookDeliveriesQuery> {
  constructor(private readonly webhooks: WebhookRepository) {}

  async execute({ caller, filter, first }: ListWebhookDeliveriesQuery): Promise<WebhookDelivery[]> {
    requireAdminOrAuditor(caller);
    return this.webhooks.deliveries(filter, pageSize(first));
  }
}

@QueryHandler(ListKeyEventsQuery)
export class ListKeyEventsHandler implements IQueryHandler<ListKeyEventsQuery> {
  constructor(private readonly events: KeyEventRepository) {}

  async execute({ caller, filter, first }: ListKeyEventsQuery): Promise<KeyEvent[]> {
    requireAdminOrAuditor(caller);
    return this.events.page(filter.vaults, filter.kinds, filter.afterId, pageSize(first));
  }
}
