-- 0008 account requests: what an operator may do to municipal accounts, through doors only.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
-- Needs vrs.append_audit_event_in (0005).
--
-- An operator provisions municipalities but never reads personal data (architecture.md §2), so an
-- operator must not be able to sign in as a municipal user alone. vrs_operator holds no write
-- grant on accounts or sessions (0006); these SECURITY DEFINER doors are all it has:
--   create_first_admin        the first admin of a municipality that has none (there is no data
--                             yet), alone;
--   request_account           a further admin, or a password reset of any municipal account,
--                             asked by one operator ...
--   approve_account_request   ... and carried out only when another operator approves; the new
--                             hash is set then (the server shows the one-time password to the
--                             approver, once);
--   operator_set_locked       locks and unlocks municipal user IDs (a lock ends their sessions).
-- The acting operator is the one behind a live session token given by the server: a parameter
-- naming a user would let vrs_operator SQL approve its own request under another name.
-- Every door writes its action to the central chain and to the municipality's own chain, so the
-- municipality's admins read in GET /v1/audit-events what operators did to their accounts.
-- SQLSTATEs: VRS22 no live operator session; VRS23 the municipality already has an admin;
-- VRS25 no such municipal account or request; VRS26 the request is decided or expired;
-- VRS27 the requester cannot approve (four-eyes); VRS01 municipality not provisioned.

CREATE TABLE vrs.account_request (
    request_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind              text NOT NULL CONSTRAINT account_request_kind_check CHECK (kind IN ('create_admin', 'reset_password')),
    municipality_code char(6) NOT NULL CONSTRAINT account_request_municipality_fkey REFERENCES vrs.municipality (code),
    user_id           text NOT NULL CONSTRAINT account_request_user_id_check CHECK (user_id ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$'),
    display_name      text CONSTRAINT account_request_display_name_check CHECK (length(display_name) BETWEEN 1 AND 100),
    requested_by      text NOT NULL,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL DEFAULT now() + interval '72 hours',
    status            text NOT NULL DEFAULT 'pending'
                      CONSTRAINT account_request_status_check CHECK (status IN ('pending', 'approved', 'expired')),
    decided_by        text,
    decided_at        timestamptz,
    CONSTRAINT account_request_four_eyes_check CHECK (decided_by IS DISTINCT FROM requested_by)
);
COMMENT ON TABLE vrs.account_request IS
    'A further admin or a password reset asked by one operator, carried out only when another approves.';
-- One open request per user ID: a second one would let an approver pick the friendlier requester.
CREATE UNIQUE INDEX account_request_pending_key ON vrs.account_request (lower(user_id)) WHERE status = 'pending';
ALTER TABLE vrs.account_request ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.account_request FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.account_request FROM PUBLIC;
GRANT SELECT ON vrs.account_request TO vrs_operator;
CREATE POLICY operator_read ON vrs.account_request FOR SELECT TO vrs_operator USING (true);
CREATE POLICY owner_all ON vrs.account_request FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

------------------------------------------------------------------------------------------------
-- Internal (EXECUTE granted to nobody): the operator behind a token, and the two-chain audit.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.operator_of(p_token_hash bytea) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_user text;
BEGIN
    SELECT s.user_id INTO v_user
      FROM vrs.session s JOIN vrs.account a ON a.user_id = s.user_id
     WHERE s.token_hash = p_token_hash AND s.role = 'operator' AND a.role = 'operator'
       AND s.revoked_at IS NULL AND s.expires_at > now()
       AND NOT a.locked AND NOT a.must_change_password;
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'no live operator session for this token' USING ERRCODE = 'VRS22';
    END IF;
    RETURN v_user;
END
$$;
REVOKE ALL ON FUNCTION vrs.operator_of(bytea) FROM PUBLIC;

CREATE FUNCTION vrs.audit_operator_action(p_municipality char(6), p_operator text, p_action text, p_target_type text,
                                          p_target_id text, p_request_id text, p_client_address text, p_details jsonb)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_details jsonb := coalesce(p_details, '{}'::jsonb) || jsonb_build_object('municipality', p_municipality::text);
BEGIN
    PERFORM vrs.append_audit_event_in('000000', p_operator, 'operator', p_action, p_target_type, p_target_id,
                                      'success', p_request_id, p_client_address, v_details);
    PERFORM vrs.append_audit_event_in(p_municipality, p_operator, 'operator', p_action, p_target_type, p_target_id,
                                      'success', p_request_id, p_client_address, v_details);
END
$$;
REVOKE ALL ON FUNCTION vrs.audit_operator_action(char, text, text, text, text, text, text, jsonb) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- The doors.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.create_first_admin(p_token_hash bytea, p_user_id text, p_municipality char(6), p_display_name text,
                                       p_password_hash text, p_request_id text, p_client_address text)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_operator text := vrs.operator_of(p_token_hash);
BEGIN
    -- The registry row serialises two operators creating a first admin at the same moment.
    PERFORM 1 FROM vrs.municipality m WHERE m.code = p_municipality FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'municipality % is not provisioned', p_municipality USING ERRCODE = 'VRS01';
    END IF;
    IF EXISTS (SELECT 1 FROM vrs.account a WHERE a.municipality_code = p_municipality AND a.role = 'admin') THEN
        RAISE EXCEPTION 'municipality % already has an admin: a further admin needs an account request', p_municipality
            USING ERRCODE = 'VRS23';
    END IF;
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, must_change_password)
    VALUES (p_user_id, 'admin', p_municipality, p_display_name, p_password_hash, true);
    PERFORM vrs.audit_operator_action(p_municipality, v_operator, 'user.create', 'user', p_user_id, p_request_id,
                                      p_client_address, jsonb_build_object('role', 'admin', 'firstAdmin', 'true'));
END
$$;

CREATE FUNCTION vrs.request_account(p_token_hash bytea, p_kind text, p_municipality char(6), p_user_id text,
                                    p_display_name text, p_request_id text, p_client_address text)
    RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_operator     text := vrs.operator_of(p_token_hash);
    v_municipality char(6) := p_municipality;
    v_id           uuid;
BEGIN
    IF p_kind = 'create_admin' THEN
        IF NOT EXISTS (SELECT 1 FROM vrs.municipality m WHERE m.code = p_municipality) THEN
            RAISE EXCEPTION 'municipality % is not provisioned', p_municipality USING ERRCODE = 'VRS01';
        END IF;
        IF EXISTS (SELECT 1 FROM vrs.account a WHERE lower(a.user_id) = lower(p_user_id)) THEN
            RAISE EXCEPTION 'the user ID is not available' USING ERRCODE = '23505', CONSTRAINT = 'account_user_id_lower_key';
        END IF;
    ELSIF p_kind = 'reset_password' THEN
        SELECT a.municipality_code INTO v_municipality FROM vrs.account a
         WHERE a.user_id = p_user_id AND a.role <> 'operator'
           AND (p_municipality IS NULL OR a.municipality_code = p_municipality);
        IF v_municipality IS NULL THEN
            RAISE EXCEPTION 'no municipal account %', p_user_id USING ERRCODE = 'VRS25';
        END IF;
    ELSE
        RAISE EXCEPTION 'unknown request kind %', p_kind USING ERRCODE = '22023';
    END IF;
    -- A request nobody approved in time no longer holds its user ID.
    UPDATE vrs.account_request q SET status = 'expired'
     WHERE lower(q.user_id) = lower(p_user_id) AND q.status = 'pending' AND q.expires_at <= now();
    INSERT INTO vrs.account_request (kind, municipality_code, user_id, display_name, requested_by)
    VALUES (p_kind, v_municipality, p_user_id, p_display_name, v_operator)
    RETURNING request_id INTO v_id;
    PERFORM vrs.audit_operator_action(v_municipality, v_operator, 'account_request.create', 'user', p_user_id,
                                      p_request_id, p_client_address,
                                      jsonb_build_object('kind', p_kind, 'accountRequest', v_id::text));
    RETURN v_id;
END
$$;

CREATE FUNCTION vrs.approve_account_request(p_token_hash bytea, p_account_request uuid, p_password_hash text,
                                            p_request_id text, p_client_address text)
    RETURNS TABLE (kind text, user_id text, municipality_code char(6), role text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_operator text := vrs.operator_of(p_token_hash);
    r          vrs.account_request%ROWTYPE;
    v_role     text;
BEGIN
    SELECT * INTO r FROM vrs.account_request q WHERE q.request_id = p_account_request FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account request %', p_account_request USING ERRCODE = 'VRS25';
    END IF;
    IF r.status <> 'pending' OR r.expires_at <= now() THEN
        RAISE EXCEPTION 'account request % is % ', p_account_request,
            CASE WHEN r.status <> 'pending' THEN r.status ELSE 'expired' END USING ERRCODE = 'VRS26';
    END IF;
    IF r.requested_by = v_operator THEN
        RAISE EXCEPTION 'four-eyes: the operator who asked cannot approve' USING ERRCODE = 'VRS27';
    END IF;
    IF r.kind = 'create_admin' THEN
        INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, must_change_password)
        VALUES (r.user_id, 'admin', r.municipality_code, coalesce(r.display_name, r.user_id), p_password_hash, true);
        v_role := 'admin';
    ELSE
        UPDATE vrs.account a
           SET password_hash = p_password_hash, must_change_password = true, failed_attempts = 0, locked_until = NULL,
               password_changed_at = now(), updated_at = now()
         WHERE a.user_id = r.user_id AND a.role <> 'operator' AND a.municipality_code = r.municipality_code
        RETURNING a.role INTO v_role;
        IF v_role IS NULL THEN
            RAISE EXCEPTION 'no municipal account %', r.user_id USING ERRCODE = 'VRS25';
        END IF;
        -- The new hash ends the account's sessions (trigger account_ends_sessions).
    END IF;
    UPDATE vrs.account_request q SET status = 'approved', decided_by = v_operator, decided_at = now()
     WHERE q.request_id = r.request_id;
    PERFORM vrs.audit_operator_action(r.municipality_code, v_operator,
                                      CASE r.kind WHEN 'create_admin' THEN 'user.create' ELSE 'user.password.reset' END,
                                      'user', r.user_id, p_request_id, p_client_address,
                                      jsonb_build_object('role', v_role, 'accountRequest', r.request_id::text,
                                                         'requestedBy', r.requested_by));
    RETURN QUERY SELECT r.kind, r.user_id, r.municipality_code, v_role;
END
$$;

CREATE FUNCTION vrs.operator_set_locked(p_token_hash bytea, p_user_id text, p_locked boolean,
                                        p_request_id text, p_client_address text)
    RETURNS char(6)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_operator     text := vrs.operator_of(p_token_hash);
    v_municipality char(6);
BEGIN
    -- A lock ends the account's sessions (trigger account_ends_sessions) and keeps its admin out
    -- until an operator lifts it.
    UPDATE vrs.account a SET locked = p_locked, locked_by_operator = p_locked, failed_attempts = 0, locked_until = NULL,
                             updated_at = now()
     WHERE a.user_id = p_user_id AND a.role <> 'operator'
    RETURNING a.municipality_code INTO v_municipality;
    IF v_municipality IS NULL THEN
        RAISE EXCEPTION 'no municipal account %', p_user_id USING ERRCODE = 'VRS25';
    END IF;
    PERFORM vrs.audit_operator_action(v_municipality, v_operator, CASE WHEN p_locked THEN 'user.lock' ELSE 'user.unlock' END,
                                      'user', p_user_id, p_request_id, p_client_address, '{}'::jsonb);
    RETURN v_municipality;
END
$$;

DO $grants$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['vrs.create_first_admin(bytea, text, char, text, text, text, text)',
                             'vrs.request_account(bytea, text, char, text, text, text, text)',
                             'vrs.approve_account_request(bytea, uuid, text, text, text)',
                             'vrs.operator_set_locked(bytea, text, boolean, text, text)'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO vrs_operator', f);
    END LOOP;
END
$grants$;
