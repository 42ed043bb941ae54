import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { KeyEvent, KeyEventKind } from '../key-event';
import { SealedSecret } from '../secrets/secret-sealer';
import { toEvent } from './key-event.repository';

export interface WebhookEndpoint {
  id: string;
  name: string;
  url: string;
  /** HMAC key of the signature header, sealed under an HSM key (SecretSealer): never stored, returned or logged in plaintext. */
  secret: SealedSecret;
  eventKinds: KeyEventKind[];
  vaults: string[] | null;
  caCertificate: string | null;
  enabled: boolean;
  createdAt: Date;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  endpointName: string;
  eventId: number;
  eventKind: KeyEventKind;
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

interface EndpointRow {
  id: string;
  name: string;
  url: string;
  secret_sealed: Buffer;
  secret_key_id: string;
  event_kinds: KeyEventKind[];
  vaults: string[] | null;
  ca_certificate: string | null;
  enabled: boolean;
  created_at: Date;
}

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  name: r.name,
  url: r.url,
  secret: { keyId: r.secret_key_id, sealed: r.secret_sealed },
  eventKinds: r.event_kinds,
  vaults: r.vaults,
  caCertificate: r.ca_certificate,
  enabled: r.enabled,
  createdAt: r.created_at,
});

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  endpoint_name: string;
  event_id: string;
  event_kind: KeyEventKind;
  state: DeliveryState;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  endpointName: r.endpoint_name,
  eventId: Number(r.event_id),
  eventKind: r.event_kind,
  state: r.state,
  attempts: r.attempts,
  lastStatus: r.last_status,
  lastError: r.last_error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

const DELIVERY_SELECT = `SELECT d.*, w.name AS endpoint_name, e.kind AS event_kind
  FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN key_events e ON e.id = d.event_id`;

/** What the database returns for UPDATE … RETURNING through TypeORM's pg driver: rows and count. */
type UpdateResult<T> = [T[], number];

@Injectable()
export class WebhookRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insertEndpoint(manager: EntityManager, e: WebhookEndpoint): Promise<boolean> {
    const rows = (await manager.query(
      `INSERT INTO webhook_endpoints (id, name, url, secret_sealed, secret_key_id, event_kinds, vaults, ca_certificate, enabled, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (name) DO NOTHING RETURNING id`,
      [e.id, e.name, e.url, e.secret.sealed, e.secret.keyId, e.eventKinds, e.vaults, e.caCertificate, e.enabled, e.createdAt],
    )) as unknown[];
    return rows.length === 1;
  }

  async deleteEndpoint(manager: EntityManager, name: string): Promise<boolean> {
    const result = (await manager.query('DELETE FROM webhook_endpoints WHERE name = $1 RETURNING id', [name])) as UpdateResult<unknown>;
    return result[1] === 1;
  }

  /** Rows written before secrets were sealed: their id and plaintext secret. */
  async legacySecrets(limit: number): Promise<Array<{ id: string; secret: string }>> {
    return (await this.db.query('SELECT id, secret FROM webhook_endpoints WHERE secret IS NOT NULL LIMIT $1', [limit])) as Array<{ id: string; secret: string }>;
  }

  /** Replaces a plaintext secret by its sealed form, unless another process did meanwhile (compare and set). */
  async replaceLegacySecret(id: string, secret: string, sealed: SealedSecret): Promise<void> {
    await this.db.query('UPDATE webhook_endpoints SET secret = NULL, secret_sealed = $3, secret_key_id = $4 WHERE id = $1 AND secret = $2', [
      id,
      secret,
      sealed.sealed,
      sealed.keyId,
    ]);
  }

  async endpoints(): Promise<WebhookEndpoint[]> {
    return ((await this.db.query('SELECT * FROM webhook_endpoints ORDER BY name')) as EndpointRow[]).map(toEndpoint);
  }

  async endpoint(id: string): Promise<WebhookEndpoint | undefined> {
    const rows = (await this.db.query('SELECT * FROM webhook_endpoints WHERE id = $1', [id])) as EndpointRow[];
    return rows[0] && toEndpoint(rows[0]);
  }

  /** One pending delivery per enabled endpoint that wants the event (its kind, and its vault if the endpoint names vaults). */
  async createDeliveries(manager: EntityManager, event: KeyEvent, now: Date): Promise<number> {
    const rows = (await manager.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, state, created_at, updated_at)
       SELECT w.id, $1, 'pending', $4, $4 FROM webhook_endpoints w
        WHERE w.enabled AND $2 = ANY(w.event_kinds) AND (w.vaults IS NULL OR $3 = ANY(w.vaults))
       ON CONFLICT DO NOTHING RETURNING id`,
      [event.id, event.kind, event.vault, now],
    )) as unknown[];
    return rows.length;
  }

  /** Pending deliveries not queued yet, or queued long ago (the queue lost them): marked queued now. */
  async takeUnqueued(staleSeconds: number, limit: number): Promise<string[]> {
    const result = (await this.db.query(
      // MATERIALIZED: the LIMIT … SKIP LOCKED subquery runs once (see RewrapJobRepository.claimRange).
      `WITH c AS MATERIALIZED (
         SELECT id FROM webhook_deliveries WHERE state = 'pending'
            AND (queued_at IS NULL OR queued_at < now() - make_interval(secs => $1))
          ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE webhook_deliveries d SET queued_at = now() FROM c WHERE d.id = c.id
       RETURNING d.id`,
      [staleSeconds, limit],
    )) as UpdateResult<{ id: string }>;
    return result[0].map((r) => r.id);
  }

  async delivery(id: string): Promise<(WebhookDelivery & { event: KeyEvent }) | undefined> {
    const rows = (await this.db.query(
      `SELECT d.*, w.name AS endpoint_name, e.kind AS event_kind, row_to_json(e) AS event, coalesce(e.ledger_seq, le.seq) AS event_ledger_seq
         FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN key_events e ON e.id = d.event_id
         LEFT JOIN ledger_entries le ON le.queue_id = e.ledger_queue_id
        WHERE d.id = $1`,
      [id],
    )) as Array<DeliveryRow & { event: Parameters<typeof toEvent>[0] & { created_at: string }; event_ledger_seq: string | null }>;
    const row = rows[0];
    if (!row) return undefined;
    return {
      ...toDelivery(row),
      event: toEvent({ ...row.event, ledger_seq: row.event_ledger_seq, created_at: new Date(row.event.created_at) }),
    };
  }

  /** Records one attempt; a final state is set only while the delivery is still pending. */
  async recordAttempt(id: string, outcome: { state: DeliveryState; status: number | null; error: string | null }): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, updated_at = now(),
              state = CASE WHEN state = 'pending' THEN $4 ELSE state END,
              finished_at = CASE WHEN state = 'pending' AND $4 <> 'pending' THEN now() ELSE finished_at END
        WHERE id = $1`,
      [id, outcome.status, outcome.error, outcome.state],
    );
  }

  async deliveries(filter: { endpoint: string | null; state: string | null; eventId: number | null }, limit: number): Promise<WebhookDelivery[]> {
    const rows = (await this.db.query(
      `${DELIVERY_SELECT} WHERE ($1::text IS NULL OR w.name = $1) AND ($2::text IS NULL OR d.state = $2) AND ($3::bigint IS NULL OR d.event_id = $3)
        ORDER BY d.created_at DESC LIMIT $4`,
      [filter.endpoint, filter.state, filter.eventId, limit],
    )) as DeliveryRow[];
    return rows.map(toDelivery);
  }
}
