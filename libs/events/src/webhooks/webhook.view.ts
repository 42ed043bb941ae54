import { WebhookEndpoint } from '../persistence/webhook.repository';

/** A webhook as the API shows it: never its secret. */
export interface WebhookView {
  id: string;
  name: string;
  url: string;
  eventKinds: string[];
  vaults: string[] | null;
  hasCaCertificate: boolean;
  enabled: boolean;
  createdAt: Date;
}

export function webhookView(e: WebhookEndpoint): WebhookView {
  return { id: e.id, name: e.name, url: e.url, eventKinds: e.eventKinds, vaults: e.vaults, hasCaCertificate: e.caCertificate !== null, enabled: e.enabled, createdAt: e.createdAt };
}
