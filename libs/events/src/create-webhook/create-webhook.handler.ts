import { randomUUID, X509Certificate } from 'node:crypto';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { GlobalPermission, requireGlobal } from '@keybridge/auth';
import { AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { EventsError, EventsErrorCode } from '../events.errors';
import { KEY_EVENT_KINDS, KeyEventKind } from '../key-event';
import { WebhookRepository } from '../persistence/webhook.repository';
import { SecretSealer } from '../secrets/secret-sealer';
import { WebhookView, webhookView } from '../webhooks/webhook.view';
import { CreateWebhookCommand } from './create-webhook.command';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

@CommandHandler(CreateWebhookCommand)
export class CreateWebhookHandler implements ICommandHandler<CreateWebhookCommand> {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly sealer: SecretSealer,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  execute({ caller, input }: CreateWebhookCommand): Promise<WebhookView> {
    // The URL may carry credentials in its query; the ledger keeps only its origin.
    const meta = { ctx: caller, operation: 'createWebhook', vault: null, details: { name: String(input.name).slice(0, 64), origin: originOf(input.url) } };
    return this.audit.runCommitting(meta, async (commit) => {
      requireGlobal(caller, GlobalPermission.admin);
      if (!NAME.test(input.name)) throw invalid('webhook names are 1-63 of a-z 0-9 and -', 'name');
      let url: URL;
      try {
        url = new URL(input.url);
      } catch {
        throw invalid('url is not a URL', 'url');
      }
      if (url.protocol !== 'https:' || input.url.length > 2048) throw invalid('webhooks are delivered over https only (at most 2048 characters)', 'url');
      if (input.secret.length < 32 || input.secret.length > 256) throw invalid('the signing secret is 32 to 256 characters', 'secret');
      if (input.eventKinds.length === 0 || input.eventKinds.some((k) => !(KEY_EVENT_KINDS as string[]).includes(k))) {
        throw invalid(`eventKinds must name one or more of ${KEY_EVENT_KINDS.join(', ')}`, 'eventKinds');
      }
      if (input.caCertificate) {
        try {
          new X509Certificate(input.caCertificate);
        } catch {
          throw invalid('caCertificate is not a PEM certificate', 'caCertificate');
        }
      }
      const id = randomUUID();
      const endpoint = {
        id,
        name: input.name,
        url: url.toString(),
        secret: await this.sealer.seal(id, input.secret),
        eventKinds: [...new Set(input.eventKinds)] as KeyEventKind[],
        vaults: input.vaults?.length ? input.vaults : null,
        caCertificate: input.caCertificate ?? null,
        enabled: true,
        createdAt: this.clock.now(),
      };
      return commit(async (manager) => {
        if (!(await this.webhooks.insertEndpoint(manager, endpoint))) {
          throw new EventsError(EventsErrorCode.WEBHOOK_ALREADY_EXISTS, `a webhook named ${input.name} exists`, { field: 'name' });
        }
        return webhookView(endpoint);
      });
    });
  }
}

function invalid(message: string, field: string): EventsError {
  return new EventsError(EventsErrorCode.INVALID_WEBHOOK, message, { field });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin.slice(0, 200);
  } catch {
    return 'invalid';
  }
}
