import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WebhookRepository } from '../persistence/webhook.repository';
import { SecretSealer } from './secret-sealer';

const BATCH = 100;

/**
 * Webhook secrets stored before they were sealed (migration 1764020000000) are sealed at start-up and their plaintext
 * column emptied; any gateway or worker may do it, each row once (compare and set). Postgres keeps the old row
 * versions until VACUUM removes them: docs/operations.md says to run VACUUM on webhook_endpoints after upgrading.
 */
@Injectable()
export class LegacySecretSealing implements OnApplicationBootstrap {
  private readonly logger = new Logger(LegacySecretSealing.name);

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly sealer: SecretSealer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let sealed = 0;
    for (let rows = await this.webhooks.legacySecrets(BATCH); rows.length > 0; rows = await this.webhooks.legacySecrets(BATCH)) {
      for (const row of rows) {
        await this.webhooks.replaceLegacySecret(row.id, row.secret, await this.sealer.seal(row.id, row.secret));
        sealed += 1;
      }
    }
    if (sealed > 0) this.logger.log(`sealed ${sealed} webhook secret(s) stored before secrets were sealed`);
  }
}
