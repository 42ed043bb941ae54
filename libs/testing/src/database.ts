import { waitForIntegration } from '@keybridge/ledger';
import { Client } from 'pg';
import { requireEnv } from './gateway-client';

/** A superuser connection for assertions on what the gateway wrote (tests only); reads of the chain settle it first. */
export async function adminDatabase(): Promise<Client> {
  const client = new Client({ connectionString: process.env.DATABASE_MIGRATION_URL ?? requireEnv('DATABASE_URL') });
  await client.connect();
  return ledgerSettling(client);
}

export interface LedgerRow {
  seq: string;
  principal_id: string | null;
  vault: string | null;
  key_name: string | null;
  key_version: number | null;
  operation: string;
  outcome: string;
  error_code: string | null;
}

export async function ledgerRows(db: Client, vault: string): Promise<LedgerRow[]> {
  const result = await db.query<LedgerRow>('SELECT * FROM ledger_entries WHERE vault = $1 ORDER BY seq', [vault]);
  return result.rows;
}

/**
 * The client, with every query that reads `ledger_entries` preceded by waitForIntegration: assertions on the chain
 * see every entry committed before them (the API returns once an entry is durable in the ledger queue; the
 * integrator hashes it into the chain moments later), as a compliance query through the API does.
 */
export function ledgerSettling(client: Client): Client {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const settling = async (...args: unknown[]): Promise<unknown> => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text?.includes('ledger_entries')) await waitForIntegration({ query: async (sql: string, params?: unknown[]) => ((await query(sql, params)) as { rows: unknown }).rows });
    return query(...args);
  };
  (client as unknown as { query: unknown }).query = settling;
  return client;
}
