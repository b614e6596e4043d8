-- sign_in.sql: the sign-in doors of 0007 (all vrs_auth may do) and the session and device guards
-- of 0006, proven at the database.
--
-- Fixtures: municipality A = 131016 is provisioned by the operator; the host administrator
-- (vrs_owner) creates the operator 'op.one' and A's accounts, one per situation below (a.live,
-- a.rev, a.exp, a.idle, a.lockd, a.fail, a.pw, a.totp with a TOTP secret, a.locked locked from
-- the start); A's admin (vrs_municipal_admin) registers two tablets and revokes one; sessions are
-- opened through vrs.auth_open_session only. Then this file proves that:
--   * vrs_auth holds no table or column privilege on account, session, device, sign_in_throttle
--     (catalog) and a real SELECT of each raises 42501;
--   * auth_find_account returns exactly one row for a named account (its hash, for the server to
--     check) and nothing for a pattern ('%', '_.live'), another case, an unknown ID or NULL;
--   * auth_record_failure counts failed sign-ins per account and locks the account for the
--     window at the limit (returning true exactly then) without revoking its sessions; it counts
--     per client address too, for known, unknown and absent user IDs; auth_address_blocked turns
--     true when an address reaches the limit and is false for an address with no failures;
--   * auth_open_session refuses (VRS21) an unknown account, an explicitly locked account, a
--     failure-locked account, a hash that changed since the server checked it, a missing TOTP step
--     for an operator or an account with a TOTP secret, a reused TOTP step, a step out of time;
--     it accepts the next step, resets the failure count, gives the session exactly its account's
--     role and municipality, and computes the expiry now() + lifetime, at least 60 seconds and at
--     most 24 hours (also when asked for 10 years);
--   * auth_session returns a live session (and touches last_seen_at when older than a minute),
--     nothing for a revoked, expired, idle or unknown token nor for an explicitly locked account,
--     but still returns the session of a failure-locked (locked_until) account;
--   * auth_revoke_session revokes a live session once (true, then false);
--   * auth_change_password refuses an unknown or revoked token (VRS22) and a stale current hash
--     (VRS21, nothing changed); otherwise sets the hash, clears must_change_password, stamps
--     password_changed_at and revokes every session of that account (and no other);
--   * auth_device finds a live tablet (and touches it), not a revoked or unknown one;
--   * the session guard holds for every writer, the superuser and the owner included: revoked_at
--     never returns to NULL, last_seen_at and revoked_at cannot lie in the future, expires_at
--     cannot be extended (shortening is allowed), identity columns never change, and a new
--     session must be live and end within 24 hours (created_at/last_seen_at are forced to now());
--     a revoked tablet cannot be un-revoked, nor its last_seen_at set in the future;
--   * vrs_municipal, vrs_municipal_admin, vrs_operator and vrs_device cannot execute any auth_*
--     door (catalog, and real calls raising 42501); vrs_app itself can execute exactly the two
--     token checks auth_session and auth_device (0010: in autocommit, without SET ROLE) and none
--     of the other six.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(94);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

-- Sign in as the server does (vrs_auth, door only): the expiry as text, or 'error SQLSTATE: …'.
CREATE FUNCTION pg_temp.sign_in(p_token text, p_user text, p_hash text, p_step bigint DEFAULT NULL,
                                p_lifetime int DEFAULT 28800) RETURNS text
    LANGUAGE sql AS $fn$
    SELECT pg_temp.value_as('vrs_auth', NULL,
        format('SELECT vrs.auth_open_session(sha256(%L::bytea), %L, %L, %s::bigint, %L, %s)',
               p_token, p_user, p_hash, coalesce(p_step::text, 'NULL'), '10.9.0.1', p_lifetime))
$fn$;
-- The TOTP step of now() (fixed for the transaction, as the door sees it).
CREATE FUNCTION pg_temp.step() RETURNS bigint
    LANGUAGE sql AS $fn$ SELECT floor(extract(epoch FROM now()) / 30)::bigint $fn$;

-- ---------------------------------------------------------------------------------------------
-- Fixtures.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'test-master')$q$),
    'true', 'fixture: operator provisions A (131016)');
SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, must_change_password, totp_secret, locked)
    VALUES ('op.one',   'operator', NULL,     '運用 一郎', '$h$op',     false, '\x5ea1'::bytea, false),
           ('a.admin',  'admin',    '131016', '管理',     '$h$admin',  false, NULL, false),
           ('a.live',   'staff',    '131016', '職員 生',  '$h$live',   true,  NULL, false),
           ('a.rev',    'staff',    '131016', '職員 取',  '$h$rev',    false, NULL, false),
           ('a.exp',    'staff',    '131016', '職員 期',  '$h$exp',    false, NULL, false),
           ('a.idle',   'staff',    '131016', '職員 休',  '$h$idle',   false, NULL, false),
           ('a.lockd',  'staff',    '131016', '職員 鍵',  '$h$lockd',  false, NULL, false),
           ('a.fail',   'staff',    '131016', '職員 誤',  '$h$fail',   false, NULL, false),
           ('a.pw',     'staff',    '131016', '職員 換',  '$h$pw',     true,  NULL, false),
           ('a.totp',   'staff',    '131016', '職員 二',  '$h$totp',   false, '\x5ea2'::bytea, false),
           ('a.locked', 'staff',    '131016', '職員 止',  '$h$locked', false, NULL, true)$q$),
    '11', 'fixture: the host administrator (owner) creates the operator and A''s accounts');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by) VALUES
        ('aaaaaaaa-0000-4000-8000-0000000000d1', '131016', '会場1', sha256('d live'), 'a.admin'),
        ('aaaaaaaa-0000-4000-8000-0000000000d2', '131016', '会場2', sha256('d rev'), 'a.admin')$q$),
    '2', 'fixture: A''s admin registers two tablets');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    UPDATE vrs.device SET revoked_at = now() WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000d2'$q$),
    '1', 'fixture: A''s admin revokes the second tablet');

-- ---------------------------------------------------------------------------------------------
-- vrs_auth has no table privilege.
-- ---------------------------------------------------------------------------------------------
SELECT is_empty($$
    SELECT t FROM unnest(ARRAY['vrs.account', 'vrs.session', 'vrs.device', 'vrs.sign_in_throttle']) t
     WHERE has_table_privilege('vrs_auth', t, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
        OR has_any_column_privilege('vrs_auth', t, 'SELECT,INSERT,UPDATE,REFERENCES')$$,
    'vrs_auth has no table or column privilege on account, session, device, sign_in_throttle');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, 'SELECT user_id FROM vrs.account')$t$,
    '42501', 'permission denied for table account', 'vrs_auth SELECT on vrs.account: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, 'SELECT user_id FROM vrs.session')$t$,
    '42501', 'permission denied for table session', 'vrs_auth SELECT on vrs.session: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, 'SELECT device_id FROM vrs.device')$t$,
    '42501', 'permission denied for table device', 'vrs_auth SELECT on vrs.device: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, 'SELECT client_address FROM vrs.sign_in_throttle')$t$,
    '42501', 'permission denied for table sign_in_throttle', 'vrs_auth SELECT on vrs.sign_in_throttle: permission denied');

-- ---------------------------------------------------------------------------------------------
-- auth_find_account: one named account, never a list.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT count(*) || ':' || string_agg(user_id || '/' || role || '/' || municipality_code || '/' || password_hash || '/'
                                         || must_change_password || '/' || locked, ',')
      FROM vrs.auth_find_account('a.live')$q$),
    '1:a.live/staff/131016/$h$live/true/false', 'auth_find_account returns exactly the named account, with its hash');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT role || '/' || (municipality_code IS NULL) || '/' || encode(totp_secret, 'hex') FROM vrs.auth_find_account('op.one')$q$),
    'operator/true/5ea1', 'auth_find_account returns an operator with its sealed TOTP secret');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT (SELECT count(*) FROM vrs.auth_find_account('%')) || '/' || (SELECT count(*) FROM vrs.auth_find_account('_.live'))
           || '/' || (SELECT count(*) FROM vrs.auth_find_account('a.%'))$q$),
    '0/0/0', 'auth_find_account returns nothing for a pattern (%, _.live, a.%)');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT (SELECT count(*) FROM vrs.auth_find_account('no.such.user')) || '/' || (SELECT count(*) FROM vrs.auth_find_account(NULL))
           || '/' || (SELECT count(*) FROM vrs.auth_find_account('A.LIVE'))$q$),
    '0/0/0', 'auth_find_account returns nothing for an unknown ID, NULL, or the ID in another case');

-- ---------------------------------------------------------------------------------------------
-- auth_record_failure / auth_address_blocked (limit 3, window 900 s).
-- ---------------------------------------------------------------------------------------------
SELECT matches(pg_temp.sign_in('t fail', 'a.fail', '$h$fail'), '^\d{4}-', 'fixture: a.fail signs in (a live session)');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_record_failure('a.fail', '10.1.0.1', 3, 900)$q$),
    'false', 'first failure of a.fail: not locked');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_record_failure('a.fail', '10.1.0.1', 3, 900)$q$),
    'false', 'second failure of a.fail: not locked');
SELECT results_eq($$SELECT failed_attempts, locked_until FROM vrs.account WHERE user_id = 'a.fail'$$,
    $$VALUES (2, NULL::timestamptz)$$, 'superuser check: a.fail has two failures counted and no lock yet');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_record_failure('a.fail', '10.1.0.1', 3, 900)$q$),
    'true', 'third failure of a.fail (the limit): locked now');
SELECT results_eq($$SELECT failed_attempts, locked_until = now() + interval '900 seconds', locked FROM vrs.account WHERE user_id = 'a.fail'$$,
    $$VALUES (0, true, false)$$, 'superuser check: a.fail is locked for the window (count restarts), not explicitly locked');
SELECT is((SELECT count(*) FROM vrs.session WHERE user_id = 'a.fail' AND revoked_at IS NULL), 1::bigint,
    'superuser check: the failure lock did not revoke a.fail''s live session');
SELECT is((SELECT failures FROM vrs.sign_in_throttle WHERE client_address = '10.1.0.1'), 3,
    'superuser check: the three failures were counted for their client address as well');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_record_failure(NULL, '10.1.0.2', 3, 900)$q$),
    'false', 'a failure without a user ID counts for the address only');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_record_failure('no.such.user', '10.1.0.2', 3, 900)$q$),
    'false', 'a failure for an unknown user ID counts for the address only');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_address_blocked('10.1.0.2', 3, 900)$q$),
    'false', 'an address with two failures is not blocked at limit 3');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_record_failure('a.live', '10.1.0.2', 3, 900)$q$),
    'false', 'a third failure from that address (first for a.live) does not lock a.live');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_address_blocked('10.1.0.2', 3, 900)$q$),
    'true', 'the address is blocked once it reaches the limit');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_address_blocked('10.1.0.9', 3, 900)$q$),
    'false', 'an address with no failures is not blocked');
SELECT results_eq($$SELECT client_address, failures FROM vrs.sign_in_throttle ORDER BY 1$$,
    $$VALUES ('10.1.0.1', 3), ('10.1.0.2', 3)$$, 'superuser check: one throttle row per address, counted separately');
SELECT is((SELECT failed_attempts FROM vrs.account WHERE user_id = 'a.live'), 1,
    'superuser check: only the known account''s failure was counted on it');

-- ---------------------------------------------------------------------------------------------
-- auth_open_session.
-- ---------------------------------------------------------------------------------------------
SELECT matches(pg_temp.sign_in('t nobody', 'no.such.user', '$h$x'), '^error VRS21: ', 'an unknown account: VRS21');
SELECT matches(pg_temp.sign_in('t locked', 'a.locked', '$h$locked'), '^error VRS21: ', 'an explicitly locked account: VRS21');
SELECT matches(pg_temp.sign_in('t fail 2', 'a.fail', '$h$fail'), '^error VRS21: ', 'a failure-locked account (locked_until ahead): VRS21');
SELECT matches(pg_temp.sign_in('t stale', 'a.live', '$h$old'), '^error VRS21: ', 'a hash other than the stored one (changed meanwhile): VRS21');
SELECT matches(pg_temp.sign_in('t op none', 'op.one', '$h$op', NULL), '^error VRS21: ', 'an operator without a TOTP step: VRS21');
SELECT matches(pg_temp.sign_in('t totp none', 'a.totp', '$h$totp', NULL), '^error VRS21: ', 'an account with a TOTP secret without a step: VRS21');
SELECT matches(pg_temp.sign_in('t op late', 'op.one', '$h$op', pg_temp.step() - 2), '^error VRS21: ', 'a TOTP step out of time (two steps back): VRS21');
SELECT matches(pg_temp.sign_in('t op', 'op.one', '$h$op', pg_temp.step()), '^\d{4}-', 'the operator signs in with the current TOTP step');
SELECT matches(pg_temp.sign_in('t op again', 'op.one', '$h$op', pg_temp.step()), '^error VRS21: ', 'the same TOTP step again (reuse): VRS21');
SELECT matches(pg_temp.sign_in('t op prev', 'op.one', '$h$op', pg_temp.step() - 1), '^error VRS21: ', 'an earlier TOTP step (still in time): VRS21');
SELECT matches(pg_temp.sign_in('t op next', 'op.one', '$h$op', pg_temp.step() + 1), '^\d{4}-', 'the next TOTP step is accepted');
SELECT is((SELECT totp_last_step FROM vrs.account WHERE user_id = 'op.one'), pg_temp.step() + 1,
    'superuser check: the last accepted step is recorded');
SELECT is((SELECT count(*) FROM vrs.session WHERE token_hash IN (sha256('t nobody'), sha256('t locked'), sha256('t fail 2'),
             sha256('t stale'), sha256('t op none'), sha256('t totp none'), sha256('t op late'), sha256('t op again'), sha256('t op prev'))),
    0::bigint, 'superuser check: no refused sign-in left a session');

SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT vrs.auth_open_session(sha256('t live'), 'a.live', '$h$live', NULL, '10.9.0.2', 3600) = now() + interval '1 hour'$q$),
    'true', 'a.live signs in: expiry is now() + the lifetime asked (1 hour)');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT vrs.auth_open_session(sha256('t rev'), 'a.rev', '$h$rev', NULL, '10.9.0.3', 315360000) = now() + interval '24 hours'$q$),
    'true', 'asked for 10 years, the expiry is capped at now() + 24 hours');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT vrs.auth_open_session(sha256('t exp'), 'a.exp', '$h$exp', NULL, '10.9.0.4', 1) = now() + interval '60 seconds'$q$),
    'true', 'asked for 1 second, the lifetime is at least 60 seconds');
SELECT results_eq($$SELECT user_id, role, municipality_code::text, s.expires_at - s.created_at, s.client_address, a.failed_attempts
                      FROM vrs.session s JOIN vrs.account a USING (user_id, role, municipality_code) WHERE s.token_hash = sha256('t live')$$,
    $$VALUES ('a.live', 'staff', '131016', interval '1 hour', '10.9.0.2', 0)$$,
    'superuser check: the session has its account''s role and municipality, and the success reset the failure count');
SELECT matches(pg_temp.sign_in('t idle', 'a.idle', '$h$idle'), '^\d{4}-', 'fixture: a.idle signs in');
SELECT matches(pg_temp.sign_in('t lockd', 'a.lockd', '$h$lockd'), '^\d{4}-', 'fixture: a.lockd signs in');
SELECT matches(pg_temp.sign_in('t pw 1', 'a.pw', '$h$pw'), '^\d{4}-', 'fixture: a.pw signs in once');
SELECT matches(pg_temp.sign_in('t pw 2', 'a.pw', '$h$pw'), '^\d{4}-', 'fixture: a.pw signs in twice');

-- ---------------------------------------------------------------------------------------------
-- auth_session and auth_revoke_session (idle limit 1800 s).
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT user_id || '/' || role || '/' || municipality_code || '/' || must_change_password || '/' || (expires_at = now() + interval '1 hour')
      FROM vrs.auth_session(sha256('t live'), 1800)$q$),
    'a.live/staff/131016/true/true', 'auth_session returns the live session with its scope, must_change_password and expiry');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT role FROM vrs.auth_session(sha256('t op'), 1800)$q$),
    'operator', 'auth_session returns the operator''s session');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT count(*) FROM vrs.auth_session(sha256('t unknown'), 1800)$q$),
    '0', 'auth_session returns nothing for an unknown token');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_revoke_session(sha256('t rev'))$q$),
    'true', 'auth_revoke_session revokes a live session');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_revoke_session(sha256('t rev'))$q$),
    'false', 'auth_revoke_session of an already revoked session: false');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT count(*) FROM vrs.auth_session(sha256('t rev'), 1800)$q$),
    '0', 'auth_session returns nothing for a revoked session');
UPDATE vrs.session SET expires_at = now() - interval '1 second' WHERE token_hash = sha256('t exp');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT count(*) FROM vrs.auth_session(sha256('t exp'), 1800)$q$),
    '0', 'auth_session returns nothing for an expired session');
UPDATE vrs.session SET last_seen_at = now() - interval '2 hours' WHERE token_hash = sha256('t idle');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT count(*) FROM vrs.auth_session(sha256('t idle'), 1800)$q$),
    '0', 'auth_session returns nothing for a session idle longer than the idle limit');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT count(*) FROM vrs.auth_session(sha256('t idle'), 86400)$q$),
    '1', '... and returns it under a longer idle limit, which also touches it');
SELECT is((SELECT last_seen_at FROM vrs.session WHERE token_hash = sha256('t idle')), now(),
    'superuser check: auth_session moved last_seen_at of a session seen over a minute ago to now()');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.account SET locked = true WHERE user_id = 'a.lockd'$q$),
    '1', 'fixture: A''s admin locks a.lockd');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT count(*) FROM vrs.auth_session(sha256('t lockd'), 1800)$q$),
    '0', 'auth_session returns nothing for the session of an explicitly locked account');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT user_id FROM vrs.auth_session(sha256('t fail'), 1800)$q$),
    'a.fail', 'auth_session still returns the session of a failure-locked (locked_until) account');

-- ---------------------------------------------------------------------------------------------
-- auth_change_password.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$SELECT vrs.auth_change_password(sha256('t unknown'), '$h$pw', '$h$new')$q$)$t$,
    'VRS22', NULL, 'auth_change_password with an unknown token: VRS22');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$SELECT vrs.auth_change_password(sha256('t rev'), '$h$rev', '$h$new')$q$)$t$,
    'VRS22', NULL, 'auth_change_password with a revoked token: VRS22');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$SELECT vrs.auth_change_password(sha256('t pw 1'), '$h$stale', '$h$new')$q$)$t$,
    'VRS21', NULL, 'auth_change_password with a current hash that is no longer stored: VRS21');
SELECT results_eq($$SELECT password_hash, must_change_password, (SELECT count(*) FROM vrs.session s WHERE s.user_id = 'a.pw' AND s.revoked_at IS NULL)
                      FROM vrs.account WHERE user_id = 'a.pw'$$,
    $$VALUES ('$h$pw', true, 2::bigint)$$, 'superuser check: the refused change left the hash and both sessions as they were');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_change_password(sha256('t pw 1'), '$h$pw', '$h$new')$q$),
    'a.pw', 'auth_change_password sets the new hash and returns the user ID');
SELECT results_eq($$SELECT password_hash, must_change_password, password_changed_at = now(),
                           (SELECT count(*) FROM vrs.session s WHERE s.user_id = 'a.pw' AND s.revoked_at IS NULL)
                      FROM vrs.account WHERE user_id = 'a.pw'$$,
    $$VALUES ('$h$new', false, true, 0::bigint)$$,
    'superuser check: new hash, no forced change, stamped, and both of a.pw''s sessions revoked');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT count(*) FROM vrs.auth_session(sha256('t live'), 1800)$q$),
    '1', 'another account''s session is untouched by the change');

-- ---------------------------------------------------------------------------------------------
-- auth_device.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT device_id || '/' || municipality_code FROM vrs.auth_device(sha256('d live'))$q$),
    'aaaaaaaa-0000-4000-8000-0000000000d1/131016', 'auth_device finds the live tablet');
SELECT is((SELECT last_seen_at FROM vrs.device WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000d1'), now(),
    'superuser check: auth_device recorded that the tablet was seen');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT (SELECT count(*) FROM vrs.auth_device(sha256('d rev'))) || '/' || (SELECT count(*) FROM vrs.auth_device(sha256('d unknown')))$q$),
    '0/0', 'auth_device finds neither a revoked nor an unknown tablet');

-- ---------------------------------------------------------------------------------------------
-- The guards hold for the superuser and the owner too.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($$UPDATE vrs.session SET revoked_at = NULL WHERE token_hash = sha256('t rev')$$,
    'VRS20', 'a revoked session stays revoked', 'superuser: revoked_at cannot return to NULL (VRS20)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_owner', NULL, $q$UPDATE vrs.session SET revoked_at = NULL WHERE token_hash = sha256('t rev')$q$)$t$,
    'VRS20', 'a revoked session stays revoked', 'owner: revoked_at cannot return to NULL (VRS20)');
SELECT throws_ok($$UPDATE vrs.session SET revoked_at = revoked_at - interval '1 hour' WHERE token_hash = sha256('t rev')$$,
    'VRS20', 'a revoked session stays revoked', 'superuser: a revocation time cannot be rewritten either (VRS20)');
SELECT throws_ok($$UPDATE vrs.session SET last_seen_at = now() + interval '1 hour' WHERE token_hash = sha256('t live')$$,
    'VRS20', 'last_seen_at cannot lie in the future', 'superuser: last_seen_at cannot be set in the future (VRS20)');
SELECT throws_ok($$UPDATE vrs.session SET revoked_at = clock_timestamp() + interval '1 hour' WHERE token_hash = sha256('t live')$$,
    'VRS20', 'revoked_at cannot lie in the future', 'superuser: revoked_at cannot be set in the future (VRS20)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_owner', NULL, $q$UPDATE vrs.session SET expires_at = expires_at + interval '1 minute' WHERE token_hash = sha256('t live')$q$)$t$,
    'VRS20', 'a session is never extended', 'owner: expires_at cannot be extended (VRS20)');
SELECT throws_ok($$UPDATE vrs.session SET user_id = 'a.rev' WHERE token_hash = sha256('t live')$$,
    'VRS20', 'a session''s identity never changes', 'superuser: a session cannot be moved to another account (VRS20)');
SELECT lives_ok($$UPDATE vrs.session SET expires_at = expires_at - interval '1 minute' WHERE token_hash = sha256('t live')$$,
    'superuser: shortening a session is allowed');
SELECT throws_ok($$INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
                   VALUES (sha256('t dead'), 'a.live', 'staff', '131016', now() - interval '1 second')$$,
    'VRS20', NULL, 'superuser: an already-expired session cannot be inserted (VRS20)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_owner', NULL, $q$INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
                   VALUES (sha256('t long'), 'a.live', 'staff', '131016', now() + interval '24 hours 1 second')$q$)$t$,
    'VRS20', NULL, 'owner: a session ending more than 24 hours ahead cannot be inserted (VRS20)');
SELECT throws_ok($$INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at, revoked_at)
                   VALUES (sha256('t pre-revoked'), 'a.live', 'staff', '131016', now() + interval '1 hour', now())$$,
    'VRS20', NULL, 'superuser: a session cannot be inserted revoked (VRS20)');
INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at, created_at, last_seen_at)
VALUES (sha256('t backdated'), 'a.live', 'staff', '131016', now() + interval '1 hour', '2000-01-01', '2000-01-01');
SELECT results_eq($$SELECT created_at = now(), last_seen_at = now() FROM vrs.session WHERE token_hash = sha256('t backdated')$$,
    $$VALUES (true, true)$$, 'superuser: a new session''s created_at and last_seen_at are forced to now()');
SELECT throws_ok($$UPDATE vrs.device SET revoked_at = NULL WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000d2'$$,
    'VRS20', 'a revoked device stays revoked', 'superuser: a revoked tablet cannot be un-revoked (VRS20)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_owner', NULL, $q$UPDATE vrs.device SET revoked_at = NULL WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000d2'$q$)$t$,
    'VRS20', 'a revoked device stays revoked', 'owner: a revoked tablet cannot be un-revoked (VRS20)');
SELECT throws_ok($$UPDATE vrs.device SET last_seen_at = now() + interval '1 hour' WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000d1'$$,
    'VRS20', 'last_seen_at cannot lie in the future', 'superuser: a tablet''s last_seen_at cannot be set in the future (VRS20)');

-- ---------------------------------------------------------------------------------------------
-- Nobody else executes the sign-in doors.
-- ---------------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM pg_proc WHERE pronamespace = 'vrs'::regnamespace AND proname LIKE 'auth\_%'), 8::bigint,
    'schema vrs has the eight auth_* doors (the check below is not vacuous)');
SELECT set_eq($$
    SELECT p.oid::regprocedure::text, r FROM pg_proc p,
           unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_app']) r
     WHERE p.pronamespace = 'vrs'::regnamespace AND p.proname LIKE 'auth\_%' AND has_function_privilege(r, p.oid, 'EXECUTE')$$,
    $$VALUES ('vrs.auth_session(bytea,integer)', 'vrs_app'), ('vrs.auth_device(bytea)', 'vrs_app')$$,
    'no caller role can execute an auth_* door; vrs_app itself exactly the two token checks (auth_session, auth_device: 0010) and none of the others');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT * FROM vrs.auth_find_account('a.live')$q$)$t$,
    '42501', 'permission denied for function auth_find_account', 'the operator cannot call auth_find_account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$SELECT vrs.auth_open_session(sha256('t x'), 'a.live', '$h$live', NULL, NULL, 3600)$q$)$t$,
    '42501', 'permission denied for function auth_open_session', 'A''s admin cannot call auth_open_session');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$SELECT * FROM vrs.auth_session(sha256('t live'), 1800)$q$)$t$,
    '42501', 'permission denied for function auth_session', 'staff cannot call auth_session');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016', $q$SELECT * FROM vrs.auth_device(sha256('d live'))$q$)$t$,
    '42501', 'permission denied for function auth_device', 'a tablet cannot call auth_device');

SELECT * FROM finish();
ROLLBACK;
