import { Injectable } from '@nestjs/common';
import { Caller } from '@keybridge/auth';
import { AuditMeta, AuditTrail } from '@keybridge/ledger';
import { DomainError } from '@keybridge/platform';
import { measureOperation } from '@keybridge/telemetry';
import { KeyGate, KeyTarget, OpenedKey } from '../access/key-gate';
import { invalidArgument } from '../keys.errors';
import { keyId } from '../model/key';
import { KeyOp } from '../model/key-op';

/** Most items in one batch call. */
export const MAX_BATCH_ITEMS = 1000;
/** Items of one call in flight at a time (the HSM's sessions queue the rest). */
const ITEMS_IN_FLIGHT = 32;

export interface BatchItemError {
  code: string;
  message: string;
}

export interface BatchItem<T> {
  index: number;
  result: T | null;
  error: BatchItemError | null;
}

export interface BatchResult<T> {
  kid: string;
  algorithm: string;
  items: Array<BatchItem<T>>;
}

export interface BatchRequest<A, T> {
  caller: Caller;
  target: KeyTarget;
  op: KeyOp;
  /** The single operation's name: each item's ledger entry is that operation's (with batch details). */
  operation: string;
  algorithm: string;
  count: number;
  /** Whole-call checks once the key is open (the algorithm for this key); their errors fail every item. */
  prepare: (opened: OpenedKey) => A;
  /** One item; a typed error fails that item only. */
  item: (opened: OpenedKey, prepared: A, index: number) => Promise<T>;
  /** Algorithm name as returned (canonical spelling). */
  algorithmOf: (prepared: A) => string;
  /** Zeroes what an item produced when its entry could not be committed (it never leaves). */
  discard?: (result: T) => void;
}

/**
 * Runs a batch of one operation against one key version: the key is opened once (permission, version, rules), the
 * items run concurrently, each item gets its own typed result or error and its own ledger entry — the operation's
 * name, with the batch's request id and the item's index — and all entries are group-committed before any result
 * leaves; an item whose entry did not commit returns the ledger's error instead of its result.
 *
 * A refusal of the whole call (no permission, unknown or disabled key, wrong algorithm) is the call's error, and
 * every item is recorded with it: the ledger shows each attempted item.
 */
@Injectable()
export class KeyBatchRunner {
  constructor(
    private readonly gate: KeyGate,
    private readonly audit: AuditTrail,
  ) {}

  run<A, T>(r: BatchRequest<A, T>): Promise<BatchResult<T>> {
    return measureOperation(`${r.operation}Batch`, () => 'failed', () => this.execute(r));
  }

  private async execute<A, T>(r: BatchRequest<A, T>): Promise<BatchResult<T>> {
    const meta = (index: number): AuditMeta => ({
      ctx: r.caller,
      operation: r.operation,
      vault: r.target.vault,
      keyName: r.target.name,
      params: { algorithm: r.algorithm },
      details: { batchSize: r.count, batchIndex: index },
    });
    if (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_BATCH_ITEMS) {
      // nothing per item to record: the call itself is malformed
      const error = invalidArgument(`a batch has 1 to ${MAX_BATCH_ITEMS} items`, 'items');
      const [ledgerError] = await this.audit.recordEach([{ meta: { ...meta(0), details: { batchSize: r.count } }, error }]);
      throw ledgerError ?? error;
    }
    const metas = Array.from({ length: r.count }, (_, i) => meta(i));
    let opened: OpenedKey;
    let prepared: A;
    try {
      opened = await this.gate.open(r.caller, r.target, r.op, metas[0]);
      prepared = r.prepare(opened);
    } catch (error) {
      for (const m of metas) m.keyVersion = metas[0].keyVersion;
      const recorded = await this.audit.recordEach(metas.map((m) => ({ meta: m, error })));
      throw recorded.find((e) => e !== undefined) ?? error;
    }
    for (const m of metas) m.keyVersion = opened.version.version;

    const outcomes = await mapLimited(r.count, ITEMS_IN_FLIGHT, async (index) => {
      try {
        return { index, result: await r.item(opened, prepared, index) };
      } catch (error) {
        return { index, error };
      }
    });
    const recorded = await this.audit.recordEach(outcomes.map((o) => ({ meta: metas[o.index], error: 'error' in o ? o.error : undefined })));
    const items = outcomes.map((o, i): BatchItem<T> => {
      const failure = recorded[i] ?? ('error' in o ? o.error : undefined);
      if (failure === undefined && 'result' in o) return { index: o.index, result: o.result as T, error: null };
      if ('result' in o) r.discard?.(o.result as T);
      return { index: o.index, result: null, error: itemError(failure) };
    });
    return { kid: keyId(opened.key.vaultName, opened.key.name, opened.version.version), algorithm: r.algorithmOf(prepared), items };
  }
}

/** Typed errors keep their code and message; anything else is INTERNAL without details (the log has them). */
function itemError(error: unknown): BatchItemError {
  if (error instanceof DomainError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: 'internal error' };
}

async function mapLimited<T>(count: number, limit: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}
