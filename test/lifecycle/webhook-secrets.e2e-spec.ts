import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { admin, adminDatabase } from '@keybridge/testing';
import { GatewayProcess } from '../ledger/support/stack';

const CREATE = 'mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }';

/** Every encoding a stored secret could take. */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [secret, bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
}

describe('webhook signing secrets at rest', () => {
  let db: Client;

  beforeAll(async () => {
    db = await adminDatabase();
  });

  afterAll(() => db.end());

  /** The whole row as the database superuser reads it, as text. */
  async function rowText(id: string): Promise<string> {
    const { rows } = await db.query<{ row: string }>(
      `SELECT to_jsonb(w)::text || encode(coalesce(w.secret_sealed, ''), 'hex') || encode(coalesce(w.secret_sealed, ''), 'base64') AS row
         FROM webhook_endpoints w WHERE id = $1`,
      [id],
    );
    return rows[0].row;
  }

  it('are stored sealed under an HSM key: the superuser reading the row finds no secret, raw, hex or base64', async () => {
    const secret = randomBytes(40).toString('base64url');
    const { createWebhook } = await admin().data<{ createWebhook: { id: string } }>(CREATE, {
      i: { name: `sealed-${randomBytes(3).toString('hex')}`, url: 'https://127.0.0.1:9/hook', secret, eventKinds: ['KeyRotated'] },
    });
    const text = await rowText(createWebhook.id);
    for (const needle of encodings(secret)) expect(text).not.toContain(needle);
    const { rows } = await db.query<{ secret: string | null; sealed: Buffer; key_id: string; pool: string }>(
      `SELECT w.secret, w.secret_sealed AS sealed, w.secret_key_id AS key_id, k.pool FROM webhook_endpoints w JOIN sealing_keys k ON k.key_id = w.secret_key_id WHERE w.id = $1`,
      [createWebhook.id],
    );
    expect(rows[0].secret).toBeNull();
    // iv (12) + ciphertext (as long as the secret) + GCM tag (16)
    expect(rows[0].sealed.length).toBe(12 + secret.length + 16);
    expect(rows[0].pool).toMatch(/^pool-/);
    const created = await db.query(`SELECT 1 FROM ledger_entries WHERE operation = 'createSealingKey' AND details->>'keyId' = $1`, [rows[0].key_id]);
    expect(created.rowCount).toBe(1);
  });

  it('a secret stored in plaintext before this release is sealed by the next gateway that starts', async () => {
    const secret = randomBytes(40).toString('base64url');
    const id = (
      await db.query<{ id: string }>(
        `INSERT INTO webhook_endpoints (id, name, url, secret, event_kinds, enabled, created_at)
         VALUES (gen_random_uuid(), $1, 'https://127.0.0.1:9/legacy', $2, '{KeyRotated}', true, now()) RETURNING id`,
        [`legacy-${randomBytes(3).toString('hex')}`, secret],
      )
    ).rows[0].id;
    const gateway = await GatewayProcess.start(process.env);
    try {
      const { rows } = await db.query<{ secret: string | null; sealed: Buffer | null }>('SELECT secret, secret_sealed AS sealed FROM webhook_endpoints WHERE id = $1', [id]);
      expect(rows[0].secret).toBeNull();
      expect(rows[0].sealed?.length).toBe(12 + secret.length + 16);
      for (const needle of encodings(secret)) expect(await rowText(id)).not.toContain(needle);
    } finally {
      await gateway.stop();
    }
  });
});
