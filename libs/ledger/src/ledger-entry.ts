export type LedgerOutcome = 'success' | 'denied' | 'failed';

/** What an operation says about itself. Never key bytes, plaintext, tokens or blobs: digests only. */
export interface LedgerEntryInput {
  principalId: string | null;
  vault: string | null;
  keyName: string | null;
  keyVersion: number | null;
  operation: string;
  outcome: LedgerOutcome;
  errorCode: string | null;
  requestId: string | null;
  traceId: string | null;
  paramsDigest: string | null;
  details: Record<string, string | number | boolean | null>;
}

export interface LedgerEntry extends LedgerEntryInput {
  seq: number;
  recordedAt: Date;
  prevHash: Buffer;
  entryHash: Buffer;
}

/** Where an entry waits for the integrator; `ledger_entries.queue_id` finds it once it is in the chain. */
export interface LedgerReceipt {
  queueId: number;
}
