-- 0002 audit log: an append-only, hash-chained event log, one chain per municipality plus the
-- central operator chain '000000'.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
--   * vrs.audit_event is LIST-partitioned by municipality_code (the chain key); partitions of
--     municipalities are created by vrs.create_municipality_partitions (generic over partitioned
--     tables keyed by municipality_code), the central partition audit_event_p000000 here.
--   * Events are written only by vrs.append_audit_event(), which takes the chain from the bound
--     tenant setting (never from a parameter), locks the chain head, and links
--     hash = sha256(prev_hash || canonical text).
--   * UPDATE, DELETE and TRUNCATE raise (SQLSTATE VRS03) for everybody, owner and superuser
--     included (short of disabling triggers, which vrs.verify_audit_chain() then exposes).
--   * RLS forced: municipal callers read their own chain, the operator reads only '000000'.

CREATE TABLE vrs.audit_event (
    municipality_code char(6) NOT NULL,    -- chain key: a municipality code, or '000000' (central)
    seq               bigint NOT NULL,
    event_id          uuid NOT NULL DEFAULT gen_random_uuid(),
    occurred_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id          text,
    actor_role        text NOT NULL,
    action            text NOT NULL,
    target_type       text,
    target_id         text,
    outcome           text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    request_id        text,
    client_address    text,
    details           jsonb NOT NULL DEFAULT '{}',
    prev_hash         bytea NOT NULL,
    hash              bytea NOT NULL,
    PRIMARY KEY (municipality_code, seq)
) PARTITION BY LIST (municipality_code);
REVOKE ALL ON vrs.audit_event FROM PUBLIC;

CREATE TABLE vrs.audit_chain (
    municipality_code char(6) PRIMARY KEY,
    last_seq          bigint NOT NULL,
    last_hash         bytea NOT NULL
);
REVOKE ALL ON vrs.audit_chain FROM PUBLIC;
ALTER TABLE vrs.audit_chain ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.audit_chain FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON vrs.audit_chain FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

------------------------------------------------------------------------------------------------
-- Append-only guard.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.audit_event_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'vrs.audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'VRS03';
END
$$;
REVOKE ALL ON FUNCTION vrs.audit_event_refuse_change() FROM PUBLIC;

-- Row triggers on a partitioned table are cloned to every partition, present and future.
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON vrs.audit_event
    FOR EACH ROW EXECUTE FUNCTION vrs.audit_event_refuse_change();
-- Statement triggers are not cloned: create_municipality_partitions copies this one onto every
-- partition it creates (and the central partition gets it below).
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON vrs.audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION vrs.audit_event_refuse_change();

CREATE TABLE vrs.audit_event_p000000 PARTITION OF vrs.audit_event FOR VALUES IN ('000000');
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON vrs.audit_event_p000000
    FOR EACH STATEMENT EXECUTE FUNCTION vrs.audit_event_refuse_change();

-- Municipalities provisioned before this migration get their audit partitions now.
SELECT vrs.create_municipality_partitions(m.code) FROM vrs.municipality m ORDER BY m.code;

------------------------------------------------------------------------------------------------
-- RLS on the events.
------------------------------------------------------------------------------------------------
ALTER TABLE vrs.audit_event ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.audit_event FORCE ROW LEVEL SECURITY;
GRANT SELECT ON vrs.audit_event TO vrs_municipal, vrs_operator;
CREATE POLICY municipal_read ON vrs.audit_event FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY operator_read ON vrs.audit_event FOR SELECT TO vrs_operator
    USING (municipality_code = '000000');
-- The SECURITY DEFINER functions: read every chain (verification), insert only into the chain of
-- the bound tenant (or the central chain when none is bound). No UPDATE/DELETE policy.
CREATE POLICY owner_read ON vrs.audit_event FOR SELECT TO vrs_owner USING (true);
CREATE POLICY owner_append ON vrs.audit_event FOR INSERT TO vrs_owner
    WITH CHECK (municipality_code = coalesce(vrs.current_municipality(), '000000'));

------------------------------------------------------------------------------------------------
-- The digest. Canonical text: the fields joined by U+001F, NULL as '', occurred_at in UTC as
-- YYYY-MM-DDTHH24:MI:SS.USZ, details as jsonb text (normalised). Independent of TimeZone and of
-- the locale (no TM patterns), hence declared IMMUTABLE.
--   hash = sha256(prev_hash || convert_to(canonical, 'UTF8')); genesis prev_hash = 32 zero bytes.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.audit_event_digest(
    p_prev_hash bytea, p_municipality_code char(6), p_seq bigint, p_event_id uuid,
    p_occurred_at timestamptz, p_actor_id text, p_actor_role text, p_action text,
    p_target_type text, p_target_id text, p_outcome text, p_request_id text,
    p_client_address text, p_details jsonb) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.sha256(p_prev_hash || pg_catalog.convert_to(pg_catalog.array_to_string(ARRAY[
               p_municipality_code::text,
               p_seq::text,
               p_event_id::text,
               pg_catalog.to_char(p_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               p_actor_id,
               p_actor_role,
               p_action,
               p_target_type,
               p_target_id,
               p_outcome,
               p_request_id,
               p_client_address,
               p_details::text
           ], E'\x1f', ''), 'UTF8'))
$$;
REVOKE ALL ON FUNCTION vrs.audit_event_digest(bytea, char, bigint, uuid, timestamptz, text, text, text,
                                              text, text, text, text, text, jsonb) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- Append. The chain is the bound tenant, or '000000' when none is bound (operator).
-- Appending for an unprovisioned municipality fails (no partition) and leaves no chain head.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.append_audit_event(
    p_actor_id text, p_actor_role text, p_action text, p_target_type text, p_target_id text,
    p_outcome text, p_request_id text, p_client_address text, p_details jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_chain   char(6) := coalesce(vrs.current_municipality(), '000000');
    v_seq     bigint;
    v_prev    bytea;
    v_id      uuid := gen_random_uuid();
    v_at      timestamptz := clock_timestamp();
    v_details jsonb := coalesce(p_details, '{}'::jsonb);
    v_hash    bytea;
BEGIN
    INSERT INTO vrs.audit_chain (municipality_code, last_seq, last_hash)
    VALUES (v_chain, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
    ON CONFLICT (municipality_code) DO NOTHING;

    SELECT c.last_seq, c.last_hash INTO v_seq, v_prev
      FROM vrs.audit_chain c
     WHERE c.municipality_code = v_chain
       FOR UPDATE;

    v_seq := v_seq + 1;
    v_hash := vrs.audit_event_digest(v_prev, v_chain, v_seq, v_id, v_at, p_actor_id, p_actor_role,
                                     p_action, p_target_type, p_target_id, p_outcome, p_request_id,
                                     p_client_address, v_details);

    INSERT INTO vrs.audit_event (municipality_code, seq, event_id, occurred_at, actor_id, actor_role,
                                 action, target_type, target_id, outcome, request_id, client_address,
                                 details, prev_hash, hash)
    VALUES (v_chain, v_seq, v_id, v_at, p_actor_id, p_actor_role, p_action, p_target_type,
            p_target_id, p_outcome, p_request_id, p_client_address, v_details, v_prev, v_hash);

    UPDATE vrs.audit_chain
       SET last_seq = v_seq, last_hash = v_hash
     WHERE municipality_code = v_chain;

    RETURN v_seq;
END
$$;
REVOKE ALL ON FUNCTION vrs.append_audit_event(text, text, text, text, text, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.append_audit_event(text, text, text, text, text, text, text, text, jsonb)
    TO vrs_municipal, vrs_operator, vrs_device;

------------------------------------------------------------------------------------------------
-- Verification (owner / superuser only; the CLI). Returns the FIRST broken event of the chain,
-- or no row when the chain is intact:
--   'seq gap: expected N'         seq does not follow the previous one (first must be 1)
--   'prev_hash mismatch'          prev_hash is not the previous event's hash (genesis: zeros)
--   'hash mismatch'               the stored hash is not the digest of the stored fields
--   'chain head mismatch'         the head (audit_chain) does not point at the last event
--                                 (seq = the head's last_seq, event_id NULL): a removed tail
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.verify_audit_chain(p_chain char(6))
    RETURNS TABLE (seq bigint, event_id uuid, problem text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_expected_seq  bigint := 1;
    v_expected_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    v_head          record;
    e               record;
BEGIN
    FOR e IN
        SELECT a.*
          FROM vrs.audit_event a
         WHERE a.municipality_code = p_chain
         ORDER BY a.seq
    LOOP
        IF e.seq <> v_expected_seq THEN
            RETURN QUERY SELECT e.seq, e.event_id, format('seq gap: expected %s', v_expected_seq);
            RETURN;
        END IF;
        IF e.prev_hash IS DISTINCT FROM v_expected_prev THEN
            RETURN QUERY SELECT e.seq, e.event_id, 'prev_hash mismatch'::text;
            RETURN;
        END IF;
        IF e.hash IS DISTINCT FROM vrs.audit_event_digest(e.prev_hash, e.municipality_code, e.seq,
                e.event_id, e.occurred_at, e.actor_id, e.actor_role, e.action, e.target_type,
                e.target_id, e.outcome, e.request_id, e.client_address, e.details) THEN
            RETURN QUERY SELECT e.seq, e.event_id, 'hash mismatch'::text;
            RETURN;
        END IF;
        v_expected_seq := e.seq + 1;
        v_expected_prev := e.hash;
    END LOOP;

    SELECT c.last_seq, c.last_hash INTO v_head FROM vrs.audit_chain c WHERE c.municipality_code = p_chain;
    IF FOUND THEN
        IF v_head.last_seq <> v_expected_seq - 1 OR v_head.last_hash IS DISTINCT FROM v_expected_prev THEN
            RETURN QUERY SELECT v_head.last_seq, NULL::uuid, 'chain head mismatch'::text;
        END IF;
    ELSIF v_expected_seq > 1 THEN
        RETURN QUERY SELECT v_expected_seq - 1, NULL::uuid, 'chain head missing'::text;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION vrs.verify_audit_chain(char) FROM PUBLIC;

-- Chain keys to verify: every chain head and every audit partition (provisioned municipalities
-- and '000000'), so a chain whose head was removed is still listed.
CREATE FUNCTION vrs.audit_chains() RETURNS SETOF char(6)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    SELECT c.municipality_code FROM vrs.audit_chain c
    UNION
    SELECT substring(p.relname FROM '^audit_event_p([0-9]{6})$')::char(6)
      FROM pg_inherits i
      JOIN pg_class p ON p.oid = i.inhrelid
     WHERE i.inhparent = 'vrs.audit_event'::regclass
    ORDER BY 1
$$;
REVOKE ALL ON FUNCTION vrs.audit_chains() FROM PUBLIC;
