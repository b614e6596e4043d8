-- 0007 sign-in doors: everything vrs_auth (the caller role before the caller is known) may do,
-- as SECURITY DEFINER functions for one named account or one token hash. vrs_auth holds no table
-- privilege (0006), so a flaw on the unauthenticated path cannot list accounts, read hashes in
-- bulk, un-revoke or extend sessions, rewrite passwords or clear locks.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
--   auth_find_account     the account behind a sign-in (its bcrypt hash, for the server to check)
--   auth_address_blocked  whether a client address is over its failure budget
--   auth_record_failure   a failed sign-in or wrong current password: per account and per address;
--                         a failure lock never ends live sessions
--   auth_open_session     opens a session after the server checked password and TOTP: refuses a
--                         locked account, a hash that changed meanwhile, a reused TOTP step; the
--                         expiry is now() + the lifetime, capped by vrs.session_max_lifetime()
--   auth_session          the live session of a token hash, touched at most once a minute
--   auth_revoke_session   sign-out
--   auth_change_password  the new hash of the account behind a live session (compare-and-swap on
--                         the hash the server verified), revoking all its sessions
--   auth_device           the live tablet of a token hash
-- SQLSTATEs: VRS21 sign-in refused (locked, stale hash, TOTP reuse), VRS22 no live session.

CREATE FUNCTION vrs.auth_find_account(p_user_id text)
    RETURNS TABLE (user_id text, role text, municipality_code char(6), password_hash text,
                   must_change_password boolean, totp_secret bytea, totp_last_step bigint,
                   locked boolean, locked_until timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    SELECT a.user_id, a.role, a.municipality_code, a.password_hash, a.must_change_password, a.totp_secret,
           a.totp_last_step, a.locked, a.locked_until
      FROM vrs.account a
     WHERE a.user_id = p_user_id
$$;

CREATE FUNCTION vrs.auth_address_blocked(p_client_address text, p_max_failures int, p_window_seconds int)
    RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    SELECT coalesce((SELECT t.failures >= greatest(p_max_failures, 1)
                       FROM vrs.sign_in_throttle t
                      WHERE t.client_address = left(p_client_address, 64)
                        AND t.window_started_at > now() - make_interval(secs => least(greatest(p_window_seconds, 60), 86400))),
                    false)
$$;

-- Returns whether this failure locked the account now. p_user_id NULL (or unknown) counts for the
-- address only. The limits come from configuration and are clamped to sane ranges.
CREATE FUNCTION vrs.auth_record_failure(p_user_id text, p_client_address text, p_max_failures int, p_lock_seconds int)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_max    int := least(greatest(p_max_failures, 1), 1000);
    v_window interval := make_interval(secs => least(greatest(p_lock_seconds, 60), 86400));
    v_locked boolean := false;
BEGIN
    IF p_client_address IS NOT NULL THEN
        -- Windows that have passed are of no use: a few go with each failure, so the table stays small.
        DELETE FROM vrs.sign_in_throttle
         WHERE client_address IN (SELECT o.client_address FROM vrs.sign_in_throttle o
                                   WHERE o.window_started_at < now() - v_window LIMIT 16);
        INSERT INTO vrs.sign_in_throttle AS t (client_address, window_started_at, failures)
        VALUES (left(p_client_address, 64), now(), 1)
        ON CONFLICT (client_address) DO UPDATE
           SET failures = CASE WHEN t.window_started_at > now() - v_window THEN t.failures + 1 ELSE 1 END,
               window_started_at = CASE WHEN t.window_started_at > now() - v_window THEN t.window_started_at ELSE now() END;
    END IF;
    IF p_user_id IS NOT NULL THEN
        UPDATE vrs.account a
           SET updated_at = now(),
               failed_attempts = CASE WHEN a.failed_attempts + 1 >= v_max THEN 0 ELSE a.failed_attempts + 1 END,
               locked_until = CASE WHEN a.failed_attempts + 1 >= v_max THEN now() + v_window ELSE a.locked_until END
         WHERE a.user_id = p_user_id
        RETURNING a.locked_until IS NOT NULL AND a.locked_until > now() AND a.failed_attempts = 0 INTO v_locked;
    END IF;
    RETURN coalesce(v_locked, false);
END
$$;

CREATE FUNCTION vrs.auth_open_session(p_token_hash bytea, p_user_id text, p_verified_hash text,
                                      p_totp_step bigint, p_client_address text, p_lifetime_seconds int)
    RETURNS timestamptz
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    a         vrs.account%ROWTYPE;
    v_expires timestamptz := now() + least(make_interval(secs => greatest(p_lifetime_seconds, 60)), vrs.session_max_lifetime());
BEGIN
    SELECT * INTO a FROM vrs.account WHERE user_id = p_user_id FOR UPDATE;
    IF NOT FOUND OR a.locked OR coalesce(a.locked_until > now(), false) THEN
        RAISE EXCEPTION 'sign-in refused: no such account, or locked' USING ERRCODE = 'VRS21';
    END IF;
    IF a.password_hash IS DISTINCT FROM p_verified_hash THEN
        RAISE EXCEPTION 'sign-in refused: the password changed meanwhile' USING ERRCODE = 'VRS21';
    END IF;
    IF (a.role = 'operator' OR a.totp_secret IS NOT NULL) AND p_totp_step IS NULL THEN
        RAISE EXCEPTION 'sign-in refused: this account needs a TOTP code' USING ERRCODE = 'VRS21';
    END IF;
    IF p_totp_step IS NOT NULL AND (p_totp_step <= coalesce(a.totp_last_step, -1)
       OR abs(p_totp_step - floor(extract(epoch FROM now()) / 30)::bigint) > 1) THEN
        RAISE EXCEPTION 'sign-in refused: TOTP step reused or out of time' USING ERRCODE = 'VRS21';
    END IF;
    UPDATE vrs.account
       SET failed_attempts = 0, locked_until = NULL, updated_at = now(),
           totp_last_step = coalesce(p_totp_step, totp_last_step)
     WHERE user_id = p_user_id;
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at, client_address)
    VALUES (p_token_hash, a.user_id, a.role, a.municipality_code, v_expires, left(p_client_address, 64));
    RETURN v_expires;
END
$$;

-- An explicit lock (operator or admin) ends sessions; a failure lock does not, so that five
-- wrong passwords typed by someone else cannot throw a user out.
CREATE FUNCTION vrs.auth_session(p_token_hash bytea, p_idle_seconds int)
    RETURNS TABLE (user_id text, role text, municipality_code char(6), must_change_password boolean, expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_idle interval := make_interval(secs => least(greatest(p_idle_seconds, 60), 86400));
    r      record;
BEGIN
    -- Every signed-in request passes here: one read, and a write at most once a minute.
    SELECT s.user_id, s.role, s.municipality_code, a.must_change_password, s.expires_at, s.last_seen_at INTO r
      FROM vrs.session s JOIN vrs.account a ON a.user_id = s.user_id
     WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
       AND s.last_seen_at > now() - v_idle AND NOT a.locked;
    IF NOT FOUND THEN RETURN; END IF;
    IF r.last_seen_at < now() - interval '60 seconds' THEN
        UPDATE vrs.session SET last_seen_at = now() WHERE token_hash = p_token_hash;
    END IF;
    RETURN QUERY SELECT r.user_id::text, r.role::text, r.municipality_code::char(6), r.must_change_password::boolean, r.expires_at::timestamptz;
END
$$;

CREATE FUNCTION vrs.auth_revoke_session(p_token_hash bytea) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    WITH r AS (UPDATE vrs.session SET revoked_at = now()
                WHERE token_hash = p_token_hash AND revoked_at IS NULL RETURNING 1)
    SELECT count(*) > 0 FROM r
$$;

-- Returns the user ID. The server checked the current password against p_current_hash; a hash
-- changed in between (a reset) makes this fail rather than overwrite it.
CREATE FUNCTION vrs.auth_change_password(p_token_hash bytea, p_current_hash text, p_new_hash text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_user text;
BEGIN
    SELECT s.user_id INTO v_user
      FROM vrs.session s JOIN vrs.account a ON a.user_id = s.user_id
     WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT a.locked;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no live session for this token' USING ERRCODE = 'VRS22';
    END IF;
    -- The account_ends_sessions trigger ends every session of the account, this one included.
    UPDATE vrs.account
       SET password_hash = p_new_hash, must_change_password = false, password_changed_at = now(),
           failed_attempts = 0, locked_until = NULL, updated_at = now()
     WHERE user_id = v_user AND password_hash = p_current_hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sign-in refused: the password changed meanwhile' USING ERRCODE = 'VRS21';
    END IF;
    RETURN v_user;
END
$$;

CREATE FUNCTION vrs.auth_device(p_token_hash bytea)
    RETURNS TABLE (device_id uuid, municipality_code char(6))
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    UPDATE vrs.device SET last_seen_at = now()
     WHERE token_hash = p_token_hash AND revoked_at IS NULL
       AND (last_seen_at IS NULL OR last_seen_at < now() - interval '60 seconds');
    RETURN QUERY SELECT d.device_id, d.municipality_code FROM vrs.device d
                  WHERE d.token_hash = p_token_hash AND d.revoked_at IS NULL;
END
$$;

DO $grants$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['vrs.auth_find_account(text)', 'vrs.auth_address_blocked(text, int, int)',
                             'vrs.auth_record_failure(text, text, int, int)',
                             'vrs.auth_open_session(bytea, text, text, bigint, text, int)',
                             'vrs.auth_session(bytea, int)', 'vrs.auth_revoke_session(bytea)',
                             'vrs.auth_change_password(bytea, text, text)', 'vrs.auth_device(bytea)'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO vrs_auth', f);
    END LOOP;
END
$grants$;
