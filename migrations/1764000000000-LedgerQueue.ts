import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sequencing without a global lock (Trillian's split of sequencing and integration). Writers insert their entries
 * into `ledger_queue` in the same transaction as the state they describe: no advisory lock, no head read, so state
 * changes of every process commit in parallel. One integrator at a time (`ledger_integrate`, under the ledger lock)
 * moves committed queue rows into the chain in batches: it assigns seq, recorded_at and the hashes exactly as
 * `ledger_append` did, inserts them into `ledger_entries` (with the queue id, unique) and deletes the queue rows in
 * the same transaction, so a crash at any point integrates a row once or not yet — never twice, never lost. The
 * entries of one writer transaction stay consecutive in the chain, as they were under the old append lock (key
 * lineage relies on it: a transfer's two entries are adjacent).
 *
 * The queue belongs to keybridge_ledger_owner like the chain: the application may INSERT and SELECT it; rows leave
 * only through `ledger_integrate` (SECURITY DEFINER), and triggers refuse UPDATE, TRUNCATE and any other DELETE.
 */
const LEDGER_APPEND = `ledger_append(timestamptz, text[], text[], text[], text[], text[], text[], integer[], text[], text[],
  text[], text[], text[], text[], jsonb[])`;

export class LedgerQueue1764000000000 implements MigrationInterface {
  name = 'LedgerQueue1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_queue (
        queue_id bigserial PRIMARY KEY,
        xact bigint NOT NULL DEFAULT txid_current(),
        queued_at timestamptz NOT NULL,
        canonical_head text NOT NULL,
        canonical_middle text NOT NULL,
        canonical_tail text NOT NULL,
        principal_id text,
        vault text,
        key_name text,
        key_version integer,
        operation text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
        error_code text,
        request_id text,
        trace_id text,
        params_digest text,
        details jsonb NOT NULL DEFAULT '{}'
      ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_cost_delay = 0);
      CREATE INDEX ledger_queue_by_xact ON ledger_queue (xact);

      ALTER TABLE ledger_entries ADD COLUMN queue_id bigint;
      CREATE UNIQUE INDEX ledger_by_queue_id ON ledger_entries (queue_id) WHERE queue_id IS NOT NULL;

      CREATE FUNCTION ledger_queue_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- only ledger_integrate (running as the owner) removes rows, and only after writing them into the chain
        IF TG_OP = 'DELETE' AND current_user = 'keybridge_ledger_owner' THEN RETURN NULL; END IF;
        RAISE EXCEPTION 'ledger_queue: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      -- per statement: refused even when no row matches, and one check per integration rather than one per row
      CREATE TRIGGER ledger_queue_guard BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_queue
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_queue_guard();

      ALTER TABLE ledger_queue OWNER TO keybridge_ledger_owner;
      ALTER FUNCTION ledger_queue_guard() OWNER TO keybridge_ledger_owner;
      REVOKE ALL ON ledger_queue FROM PUBLIC;
      GRANT SELECT, INSERT ON ledger_queue TO keybridge_app;
      GRANT USAGE ON SEQUENCE ledger_queue_queue_id_seq TO keybridge_app;
    `);

    // The integrator: under the ledger lock, the oldest committed queue rows become the next chain entries. The
    // hashed bytes are exactly those the verifiers hash (the writer stored each entry's RFC 8785 text split around
    // recordedAt and seq). recorded_at is the row's own time, or the previous entry's where that is later, so it
    // never decreases along the chain. Returns how many rows it integrated, or -1 when another integrator holds the
    // lock and p_wait is false.
    await q.query(`
      CREATE FUNCTION ledger_integrate(p_max integer, p_wait boolean) RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
      DECLARE
        v_seq bigint;
        v_prev bytea;
        v_at timestamptz;
        v_n integer := 0;
        r record;
        v_ids bigint[] := '{}';
        v_seqs bigint[] := '{}';
        v_ats timestamptz[] := '{}';
        v_prevs bytea[] := '{}';
        v_hashes bytea[] := '{}';
      BEGIN
        IF p_wait THEN
          PERFORM pg_advisory_xact_lock(7433298001);
        ELSIF NOT pg_try_advisory_xact_lock(7433298001) THEN
          RETURN -1;
        END IF;
        SELECT e.seq, e.entry_hash, e.recorded_at INTO v_seq, v_prev, v_at FROM ledger_entries e ORDER BY e.seq DESC LIMIT 1;
        IF NOT FOUND THEN
          v_seq := 0;
          v_prev := decode(repeat('00', 32), 'hex');
          v_at := '-infinity';
        END IF;
        -- the oldest p_max rows and every other row of their transactions, each transaction's rows consecutive
        FOR r IN
          SELECT q.* FROM ledger_queue q
          WHERE q.xact IN (SELECT o.xact FROM (SELECT xact FROM ledger_queue ORDER BY queue_id LIMIT greatest(p_max, 1)) o)
          ORDER BY min(q.queue_id) OVER (PARTITION BY q.xact), q.queue_id
        LOOP
          v_n := v_n + 1;
          v_seq := v_seq + 1;
          v_at := greatest(date_trunc('milliseconds', r.queued_at), v_at);
          v_ids := v_ids || r.queue_id;
          v_seqs := v_seqs || v_seq;
          v_ats := v_ats || v_at;
          v_prevs := v_prevs || v_prev;
          v_prev := sha256(v_prev || convert_to(r.canonical_head || '"' || to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
            || '"' || r.canonical_middle || v_seq::text || r.canonical_tail, 'UTF8'));
          v_hashes := v_hashes || v_prev;
        END LOOP;
        IF v_n = 0 THEN RETURN 0; END IF;
        INSERT INTO ledger_entries (seq, recorded_at, principal_id, vault, key_name, key_version, operation, outcome,
            error_code, request_id, trace_id, params_digest, details, prev_hash, entry_hash, queue_id)
          SELECT u.s, u.at, qr.principal_id, qr.vault, qr.key_name, qr.key_version, qr.operation, qr.outcome, qr.error_code,
                 qr.request_id, qr.trace_id, qr.params_digest, qr.details, u.ph, u.eh, u.id
          FROM unnest(v_ids, v_seqs, v_ats, v_prevs, v_hashes) AS u(id, s, at, ph, eh)
          JOIN ledger_queue qr ON qr.queue_id = u.id
          ORDER BY u.s;
        DELETE FROM ledger_queue WHERE queue_id = ANY (v_ids);
        RETURN v_n;
      END $$;
      ALTER FUNCTION ledger_integrate(integer, boolean) OWNER TO keybridge_ledger_owner;
      REVOKE ALL ON FUNCTION ledger_integrate(integer, boolean) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION ledger_integrate(integer, boolean) TO keybridge_app;
    `);

    // Rows that name a ledger entry keep its queue id; its seq is found through ledger_entries.queue_id once integrated.
    await q.query(`
      ALTER TABLE key_transfers ALTER COLUMN ledger_seq DROP NOT NULL, ADD COLUMN ledger_queue_id bigint,
        ADD CONSTRAINT key_transfers_ledger_ref CHECK (ledger_seq IS NOT NULL OR ledger_queue_id IS NOT NULL);
      ALTER TABLE key_events ALTER COLUMN ledger_seq DROP NOT NULL, ADD COLUMN ledger_queue_id bigint;
    `);

    // Writers no longer append to the chain themselves: the application reads the chain, only the integrator writes it.
    await q.query(`REVOKE EXECUTE ON FUNCTION ${LEDGER_APPEND} FROM keybridge_app; REVOKE INSERT ON ledger_entries FROM keybridge_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      GRANT EXECUTE ON FUNCTION ${LEDGER_APPEND} TO keybridge_app;
      GRANT INSERT ON ledger_entries TO keybridge_app;
      ALTER TABLE key_events DROP COLUMN ledger_queue_id;
      ALTER TABLE key_transfers DROP CONSTRAINT key_transfers_ledger_ref, DROP COLUMN ledger_queue_id;
      DROP FUNCTION ledger_integrate(integer, boolean);
      DROP TABLE ledger_queue;
      DROP FUNCTION ledger_queue_guard();
      DROP INDEX ledger_by_queue_id;
      ALTER TABLE ledger_entries DROP COLUMN queue_id;
    `);
  }
}
