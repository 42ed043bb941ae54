import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed ledger checkpoints (RFC 9162 tree heads), the HSM-held key that signs them, the stored Merkle subtree
 * hashes that make checkpoints incremental, a one-round-trip append function, and indexes for compliance queries.
 * All three tables belong to keybridge_ledger_owner; the application may only INSERT and SELECT, and triggers
 * refuse UPDATE, DELETE and TRUNCATE for everyone, like ledger_entries.
 */
export class LedgerCheckpoints1763890000000 implements MigrationInterface {
  name = 'LedgerCheckpoints1763890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger_refuse_any_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;

      CREATE TABLE ledger_signing_keys (
        key_id text PRIMARY KEY,
        algorithm text NOT NULL CHECK (algorithm = 'ES256'),
        pool text NOT NULL,
        hsm_object_id text NOT NULL,
        public_jwk jsonb NOT NULL,
        public_pem text NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (pool, hsm_object_id)
      );

      CREATE TABLE ledger_checkpoints (
        tree_size bigint PRIMARY KEY CHECK (tree_size >= 1),
        root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
        signed_at timestamptz NOT NULL,
        key_id text NOT NULL REFERENCES ledger_signing_keys (key_id),
        signature bytea NOT NULL CHECK (length(signature) = 64)
      );

      CREATE TABLE ledger_merkle_nodes (
        level smallint NOT NULL CHECK (level BETWEEN 10 AND 62),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
      );
    `);
    for (const table of ['ledger_signing_keys', 'ledger_checkpoints', 'ledger_merkle_nodes']) {
      await q.query(`
        CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION ledger_refuse_any_change();
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_any_change();
        ALTER TABLE ${table} OWNER TO keybridge_ledger_owner;
        REVOKE ALL ON ${table} FROM PUBLIC;
        GRANT SELECT, INSERT ON ${table} TO keybridge_app;
      `);
    }
    await q.query(`ALTER FUNCTION ledger_refuse_any_change() OWNER TO keybridge_ledger_owner`);

    // The whole critical section of an append in one server-side call: the cross-process lock, the head, the hashes
    // and the insert. The writer computes each entry's canonical text (RFC 8785) split around the two values only this
    // function knows — recordedAt and seq — and the function hashes prev_hash || head || "time" || middle || seq ||
    // tail: the same bytes the verifiers hash. The time is the later of the writer's clock and the previous entry's,
    // so recorded_at never decreases along the chain (time filters become seq ranges). One round trip per batch
    // instead of five, and the lock is held for server time only. SECURITY INVOKER: it inserts with the caller's
    // rights (keybridge_app may INSERT, nothing more). The time is formatted like JavaScript's toISOString().
    await q.query(`
      CREATE FUNCTION ledger_append(p_recorded_at timestamptz, p_heads text[], p_middles text[], p_tails text[],
          p_principal_ids text[], p_vaults text[], p_key_names text[], p_key_versions integer[], p_operations text[],
          p_outcomes text[], p_error_codes text[], p_request_ids text[], p_trace_ids text[], p_params_digests text[],
          p_details jsonb[])
        RETURNS TABLE (seq bigint, entry_hash bytea) LANGUAGE plpgsql AS $$
      DECLARE
        v_seq bigint;
        v_prev bytea;
        v_at timestamptz;
        v_iso text;
        v_n integer := coalesce(array_length(p_heads, 1), 0);
        v_seqs bigint[] := '{}';
        v_prevs bytea[] := '{}';
        v_hashes bytea[] := '{}';
      BEGIN
        -- one lock for every process, so the chain stays linear; taken before the head is read (each statement of
        -- a plpgsql function sees what committed before it started, so the head read below is current)
        PERFORM pg_advisory_xact_lock(7433298001);
        SELECT e.seq, e.entry_hash, e.recorded_at INTO v_seq, v_prev, v_at FROM ledger_entries e ORDER BY e.seq DESC LIMIT 1;
        IF NOT FOUND THEN
          v_seq := 0;
          v_prev := decode(repeat('00', 32), 'hex');
          v_at := p_recorded_at;
        END IF;
        v_at := date_trunc('milliseconds', greatest(p_recorded_at, v_at));
        v_iso := to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
        FOR i IN 1 .. v_n LOOP
          v_seq := v_seq + 1;
          v_seqs := v_seqs || v_seq;
          v_prevs := v_prevs || v_prev;
          v_prev := sha256(v_prev || convert_to(p_heads[i] || '"' || v_iso || '"' || p_middles[i] || v_seq::text || p_tails[i], 'UTF8'));
          v_hashes := v_hashes || v_prev;
        END LOOP;
        INSERT INTO ledger_entries (seq, recorded_at, principal_id, vault, key_name, key_version, operation, outcome,
            error_code, request_id, trace_id, params_digest, details, prev_hash, entry_hash)
          SELECT s, v_at, pi, v, kn, kv, op, oc, ec, ri, ti, pd, dt, ph, eh
          FROM unnest(v_seqs, p_principal_ids, p_vaults, p_key_names, p_key_versions, p_operations, p_outcomes,
                      p_error_codes, p_request_ids, p_trace_ids, p_params_digests, p_details, v_prevs, v_hashes)
            AS u(s, pi, v, kn, kv, op, oc, ec, ri, ti, pd, dt, ph, eh);
        RETURN QUERY SELECT u.s, u.h FROM unnest(v_seqs, v_hashes) AS u(s, h);
      END $$;
    `);
    const signature = `ledger_append(timestamptz, text[], text[], text[], text[], text[], text[], integer[], text[], text[],
      text[], text[], text[], text[], jsonb[])`;
    await q.query(`
      ALTER FUNCTION ${signature} OWNER TO keybridge_ledger_owner;
      REVOKE ALL ON FUNCTION ${signature} FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION ${signature} TO keybridge_app;
    `);

    // Compliance queries page by seq within one filter value (auditEntries expands lists into one ordered index
    // scan per value). (vault, key_name, seq) and (principal_id, seq) exist since the foundation.
    await q.query(`
      CREATE INDEX ledger_by_vault ON ledger_entries (vault, seq);
      CREATE INDEX ledger_by_operation ON ledger_entries (operation, seq);
      CREATE INDEX ledger_by_outcome ON ledger_entries (outcome, seq);
      CREATE INDEX ledger_by_trace ON ledger_entries (trace_id, seq) WHERE trace_id IS NOT NULL;
      -- recorded_at is monotonic in seq (ledger_append), so a time bound is found here and becomes a seq bound
      CREATE INDEX ledger_by_time ON ledger_entries (recorded_at, seq);
      -- denials and failures are a few per cent of entries: small indexes for "what was refused to whom / where"
      CREATE INDEX ledger_unsuccessful_by_principal ON ledger_entries (principal_id, seq) WHERE outcome <> 'success';
      CREATE INDEX ledger_unsuccessful_by_vault ON ledger_entries (vault, seq) WHERE outcome <> 'success';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX ledger_unsuccessful_by_vault; DROP INDEX ledger_unsuccessful_by_principal;
      DROP INDEX ledger_by_time; DROP INDEX ledger_by_trace; DROP INDEX ledger_by_outcome;
      DROP INDEX ledger_by_operation; DROP INDEX ledger_by_vault;
      DROP TABLE ledger_merkle_nodes; DROP TABLE ledger_checkpoints; DROP TABLE ledger_signing_keys;
      DROP FUNCTION ledger_refuse_any_change();
      DROP FUNCTION ledger_append(timestamptz, text[], text[], text[], text[], text[], text[], integer[], text[], text[],
        text[], text[], text[], text[], jsonb[]);
    `);
  }
}
