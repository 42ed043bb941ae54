import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { HSM_PORT, HsmPort } from '@keybridge/hsm';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { transportKeyStatus, transportKid } from '../model/transport-key';
import { TransportKeyRepository } from '../persistence/transport-key.repository';
import { CleanupResult, CleanupTransportKeysCommand } from './cleanup-transport-keys.command';

/** The principal id the ledger shows for work nobody asked for in a request. */
export const CLEANUP_PRINCIPAL = 'system:transport-key-cleanup';

@CommandHandler(CleanupTransportKeysCommand)
export class CleanupTransportKeysHandler implements ICommandHandler<CleanupTransportKeysCommand> {
  private readonly logger = new Logger('TransportKeyCleanup');

  constructor(
    private readonly transportKeys: TransportKeyRepository,
    @Inject(HSM_PORT) private readonly hsm: HsmPort,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
  ) {}

  async execute({ runId, batch }: CleanupTransportKeysCommand): Promise<CleanupResult> {
    const now = this.clock.now();
    const result: CleanupResult = { destroyed: 0, failed: 0 };
    for (const key of await this.transportKeys.finished(now, batch)) {
      const meta: AuditMeta = {
        ctx: { principalId: CLEANUP_PRINCIPAL, requestId: runId },
        operation: 'destroyTransportKey',
        vault: key.vaultName,
        details: { transportKid: transportKid(key.vaultName, key.id), reason: transportKeyStatus(key, now) },
      };
      try {
        // Destroy first (idempotent), then record: a crash in between leaves a row the next run finishes.
        await this.audit.runInTransaction(meta, async (manager) => {
          await this.hsm.destroyKey({ pool: key.pool, objectId: key.hsmObjectId });
          await this.transportKeys.markDestroyed(manager, key.id, now);
        });
        result.destroyed++;
      } catch (error) {
        result.failed++;
        this.logger.warn(`transport key ${key.id}: ${error instanceof Error ? error.message : 'destroy failed'}`);
      }
    }
    return result;
  }
}
