import { Queryable } from '../queryable';

/**
 * Waits, without integrating anything itself, until every entry queued so far has been integrated into the chain by
 * the deployment's integrators. For observers of the ledger tables (tests, benchmarks) that need read-your-writes on
 * `ledger_entries`; readers inside the application call LedgerIntegrator.settle instead. Throws after `timeoutMs`
 * (the integrators are not running).
 */
export async function waitForIntegration(db: Queryable, timeoutMs = 30_000): Promise<void> {
  const [{ max }] = (await db.query('SELECT coalesce(max(queue_id), 0) AS max FROM ledger_queue')) as Array<{ max: string }>;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = (await db.query('SELECT 1 FROM ledger_queue WHERE queue_id <= $1 LIMIT 1', [max])) as unknown[];
    if (waiting.length === 0) return;
    if (Date.now() > deadline) throw new Error(`ledger entries were not integrated into the chain within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
