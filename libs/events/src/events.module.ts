import { Global, Module } from '@nestjs/common';
import { CreateWebhookHandler } from './create-webhook/create-webhook.handler';
import { DeleteWebhookHandler } from './delete-webhook/delete-webhook.handler';
import { WebhookDeliverer } from './delivery/webhook-deliverer';
import { WebhookQueue } from './delivery/webhook-queue';
import { EventsConfig } from './events.config';
import { ListKeyEventsHandler, ListWebhookDeliveriesHandler, ListWebhooksHandler } from './list-webhooks/list-webhooks.handler';
import { KeyEventWatcher } from './list-webhooks/key-event-watcher';
import { KeyEventRepository } from './persistence/key-event.repository';
import { WebhookRepository } from './persistence/webhook.repository';
import { EventRecorder } from './record-event/event-recorder';
import { LegacySecretSealing } from './secrets/legacy-secret-sealing';
import { SecretSealer } from './secrets/secret-sealer';

/** Global: keys, escrow and lifecycle all emit events through EventRecorder. */
@Global()
@Module({
  providers: [
    { provide: EventsConfig, useFactory: () => EventsConfig.fromEnv() },
    KeyEventRepository,
    WebhookRepository,
    SecretSealer,
    LegacySecretSealing,
    EventRecorder,
    WebhookQueue,
    WebhookDeliverer,
    CreateWebhookHandler,
    DeleteWebhookHandler,
    ListWebhooksHandler,
    ListWebhookDeliveriesHandler,
    ListKeyEventsHandler,
    KeyEventWatcher,
  ],
  exports: [EventsConfig, EventRecorder, KeyEventRepository, WebhookQueue, WebhookDeliverer, KeyEventWatcher],
})
export class EventsModule {}
