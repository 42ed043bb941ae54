import { currentTraceParent } from '@keybridge/telemetry';
import { Injectable } from '@nestjs/common';
import { LedgerWriter } from '@keybridge/ledger';
import { Clock } from '@keybridge/platform';
import { EntityManager } from 'typeorm';
import { KeyEvent, KeyEventInput } from '../key-event';
import { KeyEventRepository } from '../persistence/key-event.repository';
import { WebhookRepository } from '../persistence/webhook.repository';

/**
 * Emits a domain event inside the caller's transaction: the event row (once per dedupe key — a second emitter's
 * insert waits on the unique index and then does nothing), its ledger entry, and one pending delivery per
 * interested webhook. Workers pick the deliveries up after commit; an event whose transaction rolls back leaves
 * nothing.
 */
@Injectable()
export class EventRecorder {
  constructor(
    private readonly events: KeyEventRepository,
    private readonly webhooks: WebhookRepository,
    private readonly ledger: LedgerWriter,
    private readonly clock: Clock,
  ) {}

  /** The event, or undefined when it had been emitted already. */
  async record(manager: EntityManager, input: KeyEventInput): Promise<KeyEvent | undefined> {
    const now = this.clock.now();
    const traceParent = currentTraceParent();
    const inserted = await this.events.insert(manager, input, traceParent, now);
    if (!inserted) return undefined;
    const [receipt] = await this.ledger.appendWithin(manager, [
      {
        principalId: input.principalId,
        vault: input.vault,
        keyName: input.keyName,
        keyVersion: input.keyVersion,
        operation: `event${input.kind}`,
        outcome: 'success',
        errorCode: null,
        requestId: input.requestId,
        traceId: traceParent?.split('-')[1] ?? null,
        paramsDigest: null,
        details: { eventId: inserted.id, ...input.data },
      },
    ]);
    await this.events.setLedgerQueueId(manager, inserted.id, receipt.queueId);
    const event = { ...inserted, ledgerSeq: null };
    await this.webhooks.createDeliveries(manager, event, now);
    return event;
  }
}
