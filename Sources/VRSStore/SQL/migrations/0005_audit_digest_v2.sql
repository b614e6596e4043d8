-- 0005 audit digest v2: an unambiguous digest, no unbound municipal or device event in the
-- central chain, an explicit-chain append for the owner's functions, and the chain heads that
-- `vrs audit checkpoint` signs and anchors outside the database.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
--   * v1 (0002) joined the fields with U+001F and wrote NULL as '': actor 'a<US>b' + target 'c'
--     and actor 'a' + target 'b<US>c' had one digest, and so had NULL and ''. v2 encodes every
--     field as <byte length>:<UTF-8 bytes>, NULL as '-' (a length never starts with '-'), after
--     the version itself: no two field lists share an encoding. A length-prefixed form (not
--     json_build_array) so that the bytes hashed depend on nothing but this definition: no
--     PostgreSQL formatting of JSON, and an outside verifier needs no JSON writer.
--   * vrs.audit_event.digest_version: existing rows are 1 (the ADD COLUMN default, no rewrite),
--     new ones 2; vrs.verify_audit_chain checks each event with the digest of its own version
--     and refuses a v1 event after a v2 one (the version is in the v2 bytes, so it cannot be
--     lowered on a v2 event without breaking its hash).
--   * vrs.append_audit_event raises VRS04 when the caller role (the SET ROLE in force, seen
--     through current_setting('role'), since current_user is the owner inside SECURITY DEFINER)
--     is vrs_municipal, vrs_municipal_admin or vrs_device and no municipality is bound: such an
--     event used to fall into the operator chain '000000'. vrs_operator and vrs_auth unbound
--     still write '000000'.
--   * vrs.append_audit_event_in(chain, …): the same append into an explicit chain, for the
--     owner's SECURITY DEFINER functions only (EXECUTE to nobody).
--   * vrs.audit_chain_heads(): every chain's (last_seq, last_hash), and
--     vrs.audit_chain_hashes_at(chains, seqs): the hashes of given events, for the operator role
--     that takes checkpoints (it re-anchors a chain only when the chain still holds the previous
--     checkpoint's head). Hashes and counts, no personal data.
--
-- Cost, measured on PG 15: the v2 digest takes ~25 µs an event against ~9 µs for v1 (v1 uses each
-- parameter once and is inlined; a length prefix needs each value twice, which defeats inlining).
-- That is noise beside an append's transaction, and verification of 1M events takes ~25 s.
--
-- Locks: ADD COLUMN and the CHECK recurse to every audit partition (one AccessExclusive lock per
-- partition until COMMIT); the CHECK scans them (~1.1 s for 2M events, appends wait meanwhile).

ALTER TABLE vrs.audit_event ADD COLUMN digest_version smallint NOT NULL DEFAULT 1;
ALTER TABLE vrs.audit_event ALTER COLUMN digest_version SET DEFAULT 2;
ALTER TABLE vrs.audit_event ADD CONSTRAINT audit_event_digest_version_check CHECK (digest_version IN (1, 2));

------------------------------------------------------------------------------------------------
-- The v2 digest.
--   hash = sha256(prev_hash || enc('2') || enc(municipality_code) || enc(seq) || enc(event_id)
--                 || enc(occurred_at UTC 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || enc(actor_id)
--                 || enc(actor_role) || enc(action) || enc(target_type) || enc(target_id)
--                 || enc(outcome) || enc(request_id) || enc(client_address) || enc(details::text))
--   enc(NULL) = '-', enc(v) = octet_length(utf8(v)) in decimal || ':' || utf8(v)
-- Independent of TimeZone and of the locale (no TM patterns), hence IMMUTABLE like v1.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.audit_event_digest_v2(
    p_prev_hash bytea, p_municipality_code char(6), p_seq bigint, p_event_id uuid,
    p_occurred_at timestamptz, p_actor_id text, p_actor_role text, p_action text,
    p_target_type text, p_target_id text, p_outcome text, p_request_id text,
    p_client_address text, p_details jsonb) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.sha256(p_prev_hash || pg_catalog.string_agg(
               CASE WHEN f.v IS NULL THEN '\x2d'::bytea
                    ELSE pg_catalog.convert_to(pg_catalog.octet_length(pg_catalog.convert_to(f.v, 'UTF8'))::text || ':', 'UTF8')
                         || pg_catalog.convert_to(f.v, 'UTF8')
               END, ''::bytea ORDER BY f.n))
      FROM pg_catalog.unnest(ARRAY[
               '2',
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
           ]) WITH ORDINALITY AS f(v, n)
$$;
REVOKE ALL ON FUNCTION vrs.audit_event_digest_v2(bytea, char, bigint, uuid, timestamptz, text, text, text,
                                                 text, text, text, text, text, jsonb) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- Append into an explicit chain: the one place that locks a head and links an event. Binds
-- vrs.municipality to the chain for the INSERT (the owner_append policy compares with it) and
-- puts the caller's setting back. Owner only: EXECUTE is granted to nobody.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.append_audit_event_in(
    p_chain char(6), p_actor_id text, p_actor_role text, p_action text, p_target_type text,
    p_target_id text, p_outcome text, p_request_id text, p_client_address text, p_details jsonb)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_old     text := pg_catalog.current_setting('vrs.municipality', true);
    v_rebind  boolean := p_chain IS DISTINCT FROM coalesce(vrs.current_municipality(), '000000');
    v_seq     bigint;
    v_prev    bytea;
    v_id      uuid := gen_random_uuid();
    v_at      timestamptz := clock_timestamp();
    v_details jsonb := coalesce(p_details, '{}'::jsonb);
    v_hash    bytea;
BEGIN
    IF p_chain IS NULL OR p_chain !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'audit chain % is not a municipality code or 000000', coalesce(p_chain, 'NULL')
            USING ERRCODE = 'VRS04';
    END IF;
    IF v_rebind THEN
        PERFORM pg_catalog.set_config('vrs.municipality', p_chain, true);
    END IF;

    INSERT INTO vrs.audit_chain (municipality_code, last_seq, last_hash)
    VALUES (p_chain, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
    ON CONFLICT (municipality_code) DO NOTHING;

    SELECT c.last_seq, c.last_hash INTO v_seq, v_prev
      FROM vrs.audit_chain c
     WHERE c.municipality_code = p_chain
       FOR UPDATE;

    v_seq := v_seq + 1;
    v_hash := vrs.audit_event_digest_v2(v_prev, p_chain, v_seq, v_id, v_at, p_actor_id, p_actor_role,
                                        p_action, p_target_type, p_target_id, p_outcome, p_request_id,
                                        p_client_address, v_details);

    INSERT INTO vrs.audit_event (municipality_code, seq, event_id, occurred_at, actor_id, actor_role,
                                 action, target_type, target_id, outcome, request_id, client_address,
                                 details, digest_version, prev_hash, hash)
    VALUES (p_chain, v_seq, v_id, v_at, p_actor_id, p_actor_role, p_action, p_target_type,
            p_target_id, p_outcome, p_request_id, p_client_address, v_details, 2, v_prev, v_hash);

    UPDATE vrs.audit_chain
       SET last_seq = v_seq, last_hash = v_hash
     WHERE municipality_code = p_chain;

    IF v_rebind THEN
        PERFORM pg_catalog.set_config('vrs.municipality', coalesce(v_old, ''), true);
    END IF;
    RETURN v_seq;
END
$$;
REVOKE ALL ON FUNCTION vrs.append_audit_event_in(char, text, text, text, text, text, text, text, text, jsonb) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- Append for the caller roles. The chain is the bound tenant; with none bound, '000000' for the
-- operator and for authentication, an error for municipal and device callers. The caller role
-- is compared by name (vrs_municipal_admin may not exist yet).
------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION vrs.append_audit_event(
    p_actor_id text, p_actor_role text, p_action text, p_target_type text, p_target_id text,
    p_outcome text, p_request_id text, p_client_address text, p_details jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_role  text := pg_catalog.current_setting('role');
    v_chain char(6) := vrs.current_municipality();
BEGIN
    IF v_role = 'none' THEN
        v_role := session_user;   -- no SET ROLE: the caller is the logged-in role itself
    END IF;
    IF v_chain IS NULL AND v_role IN ('vrs_municipal', 'vrs_municipal_admin', 'vrs_device') THEN
        RAISE EXCEPTION 'audit event of role % with no municipality bound refused: it belongs to a municipality''s chain, not the central one', v_role
            USING ERRCODE = 'VRS04';
    END IF;
    RETURN vrs.append_audit_event_in(coalesce(v_chain, '000000'), p_actor_id, p_actor_role, p_action,
                                     p_target_type, p_target_id, p_outcome, p_request_id,
                                     p_client_address, p_details);
END
$$;

------------------------------------------------------------------------------------------------
-- Verification, as in 0002, with each event checked by the digest of its own version:
--   'digest version went back'    a v1 event follows a v2 event (after the other checks of it)
------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION vrs.verify_audit_chain(p_chain char(6))
    RETURNS TABLE (seq bigint, event_id uuid, problem text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_expected_seq  bigint := 1;
    v_expected_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    v_version       smallint := 1;
    v_digest        bytea;
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
        v_digest := CASE e.digest_version
            WHEN 1 THEN vrs.audit_event_digest(e.prev_hash, e.municipality_code, e.seq, e.event_id,
                e.occurred_at, e.actor_id, e.actor_role, e.action, e.target_type, e.target_id,
                e.outcome, e.request_id, e.client_address, e.details)
            WHEN 2 THEN vrs.audit_event_digest_v2(e.prev_hash, e.municipality_code, e.seq, e.event_id,
                e.occurred_at, e.actor_id, e.actor_role, e.action, e.target_type, e.target_id,
                e.outcome, e.request_id, e.client_address, e.details)
        END;
        IF e.hash IS DISTINCT FROM v_digest THEN
            RETURN QUERY SELECT e.seq, e.event_id, 'hash mismatch'::text;
            RETURN;
        END IF;
        IF e.digest_version < v_version THEN
            RETURN QUERY SELECT e.seq, e.event_id, 'digest version went back'::text;
            RETURN;
        END IF;
        v_version := e.digest_version;
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

------------------------------------------------------------------------------------------------
-- The heads of every chain, for checkpoints (taken as vrs_operator by `vrs serve` and the CLI).
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.audit_chain_heads()
    RETURNS TABLE (municipality_code char(6), last_seq bigint, last_hash bytea)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    SELECT c.municipality_code, c.last_seq, c.last_hash FROM vrs.audit_chain c ORDER BY 1
$$;
REVOKE ALL ON FUNCTION vrs.audit_chain_heads() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.audit_chain_heads() TO vrs_operator;

-- The hashes of given events, so that a checkpoint records a new head only when the chain still
-- holds the head of the previous checkpoint (a chain rewritten in between is not re-anchored).
-- One pruned lookup per chain (a join would plan every audit partition). Events that do not
-- exist give no row.
CREATE FUNCTION vrs.audit_chain_hashes_at(p_chains char(6)[], p_seqs bigint[])
    RETURNS TABLE (municipality_code char(6), seq bigint, hash bytea)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_chain char(6);
    v_seq   bigint;
BEGIN
    FOR v_chain, v_seq IN SELECT * FROM unnest(p_chains, p_seqs) LOOP
        RETURN QUERY SELECT a.municipality_code, a.seq, a.hash FROM vrs.audit_event a
                      WHERE a.municipality_code = v_chain AND a.seq = v_seq;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION vrs.audit_chain_hashes_at(char[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.audit_chain_hashes_at(char[], bigint[]) TO vrs_operator;
