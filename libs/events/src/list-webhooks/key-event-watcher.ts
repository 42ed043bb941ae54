import { Injectable } from '@nestjs/common';
import { Caller } from '@keybridge/auth';
import { AuditTrail } from '@keybridge/ledger';
import { KeyEvent } from '../key-event';
import { KeyEventRepository } from '../persistence/key-event.repository';
import { requireAdminOrAuditor } from './list-webhooks.handler';

const POLL_MS = 1000;

/**
 * The keyEvents subscription: events after `afterId` (default: from now on), in order, read from Postgres about
 * every second — events are committed rows, so a subscriber on any gateway sees every event exactly as stored.
 */
@Injectable()
export class KeyEventWatcher {
  constructor(
    private readonly events: KeyEventRepository,
    private readonly audit: AuditTrail,
  ) {}

  async watch(caller: Caller, filter: { vaults: string[] | null; kinds: string[] | null; afterId: number | null }): Promise<AsyncIterableIterator<KeyEvent>> {
    const start = await this.audit.run({ ctx: caller, operation: 'watchKeyEvents', vault: null, details: { vaults: (filter.vaults ?? []).join(',').slice(0, 200) } }, async () => {
      requireAdminOrAuditor(caller);
      return filter.afterId ?? (await this.events.lastId());
    });
    return this.poll(filter, start);
  }

  private async *poll(filter: { vaults: string[] | null; kinds: string[] | null }, after: number): AsyncIterableIterator<KeyEvent> {
    let last = after;
    for (;;) {
      const page = await this.events.page(filter.vaults, filter.kinds, last, 100);
      for (const event of page) {
        last = event.id;
        yield event;
      }
      if (page.length < 100) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
