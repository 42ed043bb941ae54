import { Client } from 'pg';
import { requireEnv } from './gateway-client';

/** A superuser connection for assertions on what the gateway wrote (tests only). */
export async function adminDatabase(): Promise<Client> {
  const client = new Client({ connectionString: process.env.DATABASE_MIGRATION_URL ?? requireEnv('DATABASE_URL') });
  await client.connect();
  return client;
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
