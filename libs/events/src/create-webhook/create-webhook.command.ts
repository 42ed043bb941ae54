import { Command } from '@nestjs/cqrs';
import { Caller } from '@keybridge/auth';
import { WebhookView } from '../webhooks/webhook.view';

export interface CreateWebhookInput {
  name: string;
  /** https only. */
  url: string;
  /** HMAC-SHA256 key of the signature header, 32 characters or more; shown to nobody afterwards. */
  secret: string;
  eventKinds: string[];
  /** Only events of these vaults; every vault when absent. */
  vaults?: string[] | null;
  /** PEM of the CA that issued the receiver's certificate, for receivers on a private CA. */
  caCertificate?: string | null;
}

/** Registers an HTTPS receiver for domain events. Admin. */
export class CreateWebhookCommand extends Command<WebhookView> {
  constructor(
    readonly caller: Caller,
    readonly input: CreateWebhookInput,
  ) {
    super();
  }
}
