import { assertNoConnectionHeld, outsideTransaction } from './connection-guard';

/**
 * A statement the server refused (SQLSTATE), as opposed to a connection lost or a server shutting down, where the
 * outcome of a COMMIT in flight is unknown (classes 08 connection, 53 resources, 57 operator intervention, 58 system).
 */
export function refusedByDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|53|57|58|XX)/.test(code);
}

interface Pending<I, O> {
  item: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while a batch is being written form the next batch, and `write` commits a whole
 * batch in one statement (one round trip, one transaction, one WAL flush) returning one output per item, in order.
 * A busy process writes one statement per batch, not per item; an idle one writes each item at once.
 *
 * If the database refuses a batch (a constraint, a trigger), its items are written one by one, so one bad item
 * fails alone. Not after a lost connection, though: the batch may have committed without our hearing of it, and a
 * retry would write it twice; those items fail with the error.
 */
export class GroupCommit<I, O> {
  private readonly queue: Array<Pending<I, O>> = [];
  private flushing = false;

  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
    private readonly afterFlush: () => void = () => undefined,
  ) {}

  /** Never from inside a transaction: the batch is written on a connection of its own, which the caller would wait for. */
  submit(item: I): Promise<O> {
    assertNoConnectionHeld('a group commit waits for a connection of its own');
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // the flush serves every item queued by then, not only the submitter that happened to start it
        outsideTransaction(() => setImmediate(() => void this.flush()));
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const outputs = await this.checked(batch.map((p) => p.item));
          batch.forEach((p, i) => p.resolve(outputs[i]));
        } catch (error) {
          if (batch.length > 1 && refusedByDatabase(error)) for (const pending of batch) await this.alone(pending);
          else batch.forEach((p) => p.reject(error));
        }
      }
    } finally {
      this.flushing = false;
      this.afterFlush();
    }
  }

  private async alone(pending: Pending<I, O>): Promise<void> {
    try {
      const [output] = await this.checked([pending.item]);
      pending.resolve(output);
    } catch (error) {
      pending.reject(error);
    }
  }

  private async checked(items: I[]): Promise<O[]> {
    const outputs = await this.write(items);
    if (outputs.length !== items.length) throw new Error(`a group commit wrote ${outputs.length} of ${items.length} items`);
    return outputs;
  }
}
