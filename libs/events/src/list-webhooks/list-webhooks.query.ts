import { Query } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { KeyEvent } from '../key-event';
import { WebhookDelivery } from '../persistence/webhook.repository';
import { WebhookView } from '../webhooks/webhook.view';

/** Admin or auditRead. */
export class ListWebhooksQuery extends Query<WebhookView[]> {
  constructor(readonly caller: Caller) {
    super();
  }
}

/** The delivery log, newest first. Admin or auditRead. */
export class ListWebhookDeliveriesQuery extends Query<WebhookDelivery[]> {
  constructor(
    readonly caller: Caller,
    readonly filter: { endpoint: string | null; state: string | null; eventId: number | null },
    readonly first: number | null,
  ) {
    super();
  }
}

/** Domain events in order, after an id (for polling and the subscription). Admin or auditRead. */
export class ListKeyEventsQuery extends Query<KeyEvent[]> {
  constructor(
    readonly caller: Caller,
    readonly filter: { vaults: string[] | null; kinds: string[] | null; afterId: number | null },
    readonly first: number | null,
  ) {
    super();
  }
}
