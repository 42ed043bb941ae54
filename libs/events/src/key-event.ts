/** The domain events Keybridge emits; each is stored once, recorded in the ledger and offered to webhooks. */
export enum KeyEventKind {
  KeyRotated = 'KeyRotated',
  KeyNearExpiry = 'KeyNearExpiry',
  KeyExpired = 'KeyExpired',
  TransportKeyExpired = 'TransportKeyExpired',
  RewrapJobFinished = 'RewrapJobFinished',
}

export const KEY_EVENT_KINDS = Object.values(KeyEventKind);

export interface KeyEventInput {
  kind: KeyEventKind;
  vault: string | null;
  keyName: string | null;
  keyVersion: number | null;
  /** The event happens once per dedupe key, however many processes notice it (e.g. `KeyExpired:<key id>:<version>`). */
  dedupeKey: string;
  /** Metadata only: never key bytes, plaintext or secrets. */
  data: Record<string, string | number | boolean | null>;
  /** Who caused it: a principal id, or null for the lifecycle scheduler. */
  principalId: string | null;
  requestId: string | null;
}

export interface KeyEvent {
  id: number;
  kind: KeyEventKind;
  vault: string | null;
  keyName: string | null;
  keyVersion: number | null;
  data: Record<string, string | number | boolean | null>;
  /** Seq of the event's ledger entry; null until the integrator has put it into the chain. */
  ledgerSeq: number | null;
  /** W3C traceparent of the request (or job) that caused the event: its webhook deliveries' spans link to it. */
  traceParent: string | null;
  createdAt: Date;
}
