import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key lifecycle (libs/lifecycle, libs/events, libs/escrow):
 *
 * key_rotation_policies: one per key — expiry of new versions (ISO-8601 duration) and lifetime actions
 * (rotate/notify after creation or before expiry), optionally re-wrapping the key's escrow records after a rotation.
 *
 * key_events: domain events (KeyRotated, KeyNearExpiry, KeyExpired, TransportKeyExpired, RewrapJobFinished), each
 * once per `dedupe_key` (so several workers evaluating the same policy emit it once); each also has a ledger entry.
 * webhook_endpoints / webhook_deliveries: HTTPS receivers and one delivery row per (endpoint, event), attempted
 * through BullMQ with backoff; the rows are the delivery log.
 *
 * escrow_records gain a lifetime: expires_at (from the request, or the key's default), and purged_at when the
 * purge job removed the wrapped bytes of an expired record (its ledger history stays).
 */
export class Lifecycle1763940000000 implements MigrationInterface {
  name = 'Lifecycle1763940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE key_rotation_policies (
        key_id uuid PRIMARY KEY REFERENCES keys(id) ON DELETE CASCADE,
        expiry_time text,
        lifetime_actions jsonb NOT NULL,
        rewrap_escrow boolean NOT NULL DEFAULT false,
        set_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );

      CREATE TABLE key_events (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        vault text,
        key_name text,
        key_version integer,
        dedupe_key text NOT NULL UNIQUE,
        data jsonb NOT NULL DEFAULT '{}',
        ledger_seq bigint NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX key_events_by_vault ON key_events (vault, id);

      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        url text NOT NULL CHECK (url LIKE 'https://%' AND length(url) <= 2048),
        secret text NOT NULL,
        event_kinds text[] NOT NULL,
        vaults text[],
        ca_certificate text,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_id bigint NOT NULL REFERENCES key_events(id),
        state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_status integer,
        last_error text,
        queued_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz,
        UNIQUE (endpoint_id, event_id)
      );
      CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (created_at) WHERE state = 'pending';

      ALTER TABLE escrow_records ALTER COLUMN wrapped DROP NOT NULL;
      ALTER TABLE escrow_records ADD COLUMN expires_at timestamptz, ADD COLUMN purged_at timestamptz;
      ALTER TABLE escrow_records ADD CONSTRAINT escrow_records_wrapped_or_purged CHECK ((wrapped IS NULL) = (purged_at IS NOT NULL));
      CREATE INDEX escrow_records_expiring ON escrow_records (expires_at) WHERE expires_at IS NOT NULL AND purged_at IS NULL;
      ALTER TABLE keys ADD COLUMN escrow_ttl_seconds integer CHECK (escrow_ttl_seconds > 0);

      GRANT SELECT, INSERT, UPDATE, DELETE ON key_rotation_policies, key_events, webhook_endpoints, webhook_deliveries TO keybridge_app;
      GRANT USAGE, SELECT ON SEQUENCE key_events_id_seq TO keybridge_app;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE keys DROP COLUMN escrow_ttl_seconds;
      ALTER TABLE escrow_records DROP CONSTRAINT escrow_records_wrapped_or_purged;
      ALTER TABLE escrow_records DROP COLUMN expires_at, DROP COLUMN purged_at;
      DROP TABLE webhook_deliveries; DROP TABLE webhook_endpoints; DROP TABLE key_events; DROP TABLE key_rotation_policies;
    `);
  }
}
