import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { GlobalPermission, requireGlobal } from '@keybridge/auth';
import { AuditTrail } from '@keybridge/ledger';
import { EventsError, EventsErrorCode } from '../events.errors';
import { WebhookRepository } from '../persistence/webhook.repository';
import { DeleteWebhookCommand } from './delete-webhook.command';

@CommandHandler(DeleteWebhookCommand)
export class DeleteWebhookHandler implements ICommandHandler<DeleteWebhookCommand> {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly audit: AuditTrail,
  ) {}

  execute({ caller, name }: DeleteWebhookCommand): Promise<boolean> {
    return this.audit.runInTransaction({ ctx: caller, operation: 'deleteWebhook', vault: null, details: { name: name.slice(0, 64) } }, async (manager) => {
      requireGlobal(caller, GlobalPermission.admin);
      if (!(await this.webhooks.deleteEndpoint(manager, name))) throw new EventsError(EventsErrorCode.WEBHOOK_NOT_FOUND, `no webhook named ${name}`, { field: 'name' });
      return true;
    });
  }
}
