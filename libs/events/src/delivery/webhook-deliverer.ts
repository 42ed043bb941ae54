import { request } from 'node:https';
import { Injectable } from '@nestjs/common';
import { inLinkedSpan } from '@keybridge/telemetry';
import { Clock } from '@keybridge/platform';
import { KeyEvent } from '../key-event';
import { WebhookDelivery, WebhookEndpoint, WebhookRepository } from '../persistence/webhook.repository';
import { SecretSealer } from '../secrets/secret-sealer';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';

const TIMEOUT_MS = 10_000;

export type AttemptOutcome = { ok: true } | { ok: false; retry: boolean; reason: string };

/**
 * One delivery attempt: POST the event as JSON to the endpoint over HTTPS (the endpoint's own CA certificate if it
 * has one, the system's otherwise), signed with the endpoint's secret. 2xx is delivered; 4xx other than 408/429 is a
 * permanent refusal; anything else (5xx, timeout, refused connection, TLS failure) is retried by the queue with
 * backoff until its last attempt. Every attempt is written to the delivery log.
 */
@Injectable()
export class WebhookDeliverer {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly sealer: SecretSealer,
    private readonly clock: Clock,
  ) {}

  async attempt(deliveryId: string, lastAttempt: boolean): Promise<AttemptOutcome> {
    const delivery = await this.webhooks.delivery(deliveryId);
    if (!delivery || delivery.state !== 'pending') return { ok: true };
    // a span of its own for the attempt, linked to the request (or job) that caused the event
    return inLinkedSpan('keybridge.events', 'webhook.deliver', delivery.event.traceParent, { 'webhook.delivery': deliveryId, 'webhook.event': delivery.eventKind }, () =>
      this.deliver(delivery, lastAttempt),
    );
  }

  private async deliver(delivery: WebhookDelivery & { event: KeyEvent }, lastAttempt: boolean): Promise<AttemptOutcome> {
    const deliveryId = delivery.id;
    const endpoint = await this.webhooks.endpoint(delivery.endpointId);
    if (!endpoint || !endpoint.enabled) {
      await this.webhooks.recordAttempt(deliveryId, { state: 'failed', status: null, error: 'endpoint removed or disabled' });
      return { ok: false, retry: false, reason: 'endpoint removed or disabled' };
    }
    const { status, error } = await this.post(endpoint, body(delivery.event, deliveryId));
    if (status !== null && status >= 200 && status < 300) {
      await this.webhooks.recordAttempt(deliveryId, { state: 'delivered', status, error: null });
      return { ok: true };
    }
    const permanent = status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
    const reason = error ?? `HTTP ${status}`;
    await this.webhooks.recordAttempt(deliveryId, { state: permanent || lastAttempt ? 'failed' : 'pending', status, error: reason.slice(0, 500) });
    return { ok: false, retry: !permanent, reason };
  }

  private async post(endpoint: WebhookEndpoint, payload: string): Promise<{ status: number | null; error: string | null }> {
    const signature = signWebhook(await this.sealer.open(endpoint.id, endpoint.secret), payload, Math.floor(this.clock.now().getTime() / 1000));
    return new Promise((resolve) => {
      const req = request(
        endpoint.url,
        {
          method: 'POST',
          timeout: TIMEOUT_MS,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), [SIGNATURE_HEADER]: signature, 'user-agent': 'keybridge-webhooks/1' },
          ...(endpoint.caCertificate ? { ca: endpoint.caCertificate } : {}),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? null, error: null }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: null, error: error.code ? `${error.code}: ${error.message}` : error.message }));
      req.end(payload);
    });
  }
}

function body(event: KeyEvent, deliveryId: string): string {
  return JSON.stringify({
    id: event.id,
    deliveryId,
    type: event.kind,
    vault: event.vault,
    key: event.keyName,
    version: event.keyVersion,
    kid: event.vault && event.keyName ? `/vaults/${event.vault}/keys/${event.keyName}${event.keyVersion ? `/${event.keyVersion}` : ''}` : null,
    data: event.data,
    ledgerSeq: event.ledgerSeq,
    occurredAt: event.createdAt.toISOString(),
  });
}
