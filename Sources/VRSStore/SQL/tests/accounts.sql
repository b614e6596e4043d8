-- accounts.sql: accounts, sessions and devices (0003), proven at the database.
--
-- Fixtures: municipalities A = 131016 (千代田区) and B = 011002 (札幌市) are provisioned by the
-- operator; the operator creates 'op.one' (operator), 'a.admin' (admin of A) and 'b.admin' (admin
-- of B); A's admin, as vrs_municipal bound to A, creates 'a.staff'; vrs_auth creates one session
-- per account; each municipality registers one tablet. Then this file proves that:
--   * vrs_municipal bound to A sees exactly A's accounts, sessions and devices; B's rows (and the
--     operator's account and session) stay invisible even when named;
--   * A cannot insert an account for B, an operator account, or an account without municipality
--     (42501, RLS), nor a session, nor a device for B;
--   * A's UPDATE of B's account, session and device affects 0 rows (the same statements on A's own
--     rows affect 1; WHERE-less updates, filtered by the UPDATE policies alone, reach exactly A's
--     rows), and B's rows are unchanged (checked as superuser);
--   * A cannot update columns it has no grant on (account.role, account.municipality_code,
--     session.expires_at, device.municipality_code) nor DELETE (42501);
--   * vrs_municipal with no tenant bound ('' as on a pooled connection) sees and inserts nothing;
--   * vrs_operator sees every account and session, creates accounts, locks any account and revokes
--     any session, but cannot touch devices at all, nor change an account's role or display name,
--     nor create sessions, nor DELETE (42501);
--   * vrs_device has no privilege at all on account, session, device;
--   * vrs_auth reads every account, session and device, updates the log-in bookkeeping
--     (failed_attempts, last_seen_at, revoked_at) but not role, municipality_code, locked or
--     totp_secret (42501); cannot insert or delete accounts nor delete sessions or devices; can
--     create a session only with exactly its account's role and municipality; appends audit events
--     to the bound municipality's chain, or to the central chain when none is bound;
--   * constraints: operator with a municipality and admin/staff without one are rejected
--     (account_role_municipality_check), as are malformed user IDs, user IDs equal but for case,
--     short token hashes and a reused device token; each violation names its constraint.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(78);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

-- ---------------------------------------------------------------------------------------------
-- Fixtures, each written by the role that writes it in production.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'test-master')$q$),
    'true', 'fixture: operator provisions A (131016)');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'test-master')$q$),
    'true', 'fixture: operator provisions B (011002)');

SELECT is(pg_temp.rows_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash) VALUES
        ('op.one',  'operator', NULL,     '運用 一郎', '$argon2id$op'),
        ('a.admin', 'admin',    '131016', '千代田 管理', '$argon2id$aa'),
        ('b.admin', 'admin',    '011002', '札幌 管理', '$argon2id$ba')$q$),
    '3', 'fixture: operator creates an operator account and the admins of A and B');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.staff', 'staff', '131016', '千代田 職員', '$argon2id$as')$q$),
    '1', 'fixture: A (its admin) creates a staff account in A');
SELECT is(pg_temp.rows_as('vrs_auth', NULL, $q$
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at, client_address) VALUES
        (sha256('session op.one'),  'op.one',  'operator', NULL,     now() + interval '8 hours', '10.0.0.1'),
        (sha256('session a.admin'), 'a.admin', 'admin',    '131016', now() + interval '8 hours', '10.0.0.2'),
        (sha256('session a.staff'), 'a.staff', 'staff',    '131016', now() + interval '8 hours', '10.0.0.3'),
        (sha256('session b.admin'), 'b.admin', 'admin',    '011002', now() + interval '8 hours', '10.0.0.4')$q$),
    '4', 'fixture: vrs_auth creates a session for each account');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
    VALUES ('aaaaaaaa-0000-4000-8000-0000000000f1', '131016', '千代田 会場1', sha256('device A'), 'a.admin')$q$),
    '1', 'fixture: A registers a tablet');
SELECT is(pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
    VALUES ('bbbbbbbb-0000-4000-8000-0000000000f1', '011002', '札幌 会場1', sha256('device B'), 'b.admin')$q$),
    '1', 'fixture: B registers a tablet');

-- Snapshot of B's rows, taken as superuser (RLS does not apply), to compare with later.
CREATE TEMP TABLE b_before AS
SELECT 'account' AS t, to_jsonb(a) AS row FROM vrs.account a WHERE municipality_code = '011002'
UNION ALL SELECT 'session', to_jsonb(s) FROM vrs.session s WHERE municipality_code = '011002'
UNION ALL SELECT 'device', to_jsonb(d) FROM vrs.device d WHERE municipality_code = '011002';
SELECT is((SELECT count(*) FROM b_before), 3::bigint, 'superuser sees B''s account, session and device');

-- ---------------------------------------------------------------------------------------------
-- vrs_municipal bound to A: reads.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT string_agg(user_id, ',' ORDER BY user_id) FROM vrs.account$q$),
    'a.admin,a.staff', 'A, unfiltered, sees exactly its two accounts');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT string_agg(user_id, ',' ORDER BY user_id) FROM vrs.session$q$),
    'a.admin,a.staff', 'A, unfiltered, sees exactly the sessions of its two accounts');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT string_agg(device_id::text, ',' ORDER BY device_id) FROM vrs.device$q$),
    'aaaaaaaa-0000-4000-8000-0000000000f1', 'A, unfiltered, sees exactly its tablet');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.account WHERE user_id = 'b.admin'$q$), '0',
    'A selecting B''s account by user_id gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.account WHERE municipality_code = '011002' OR municipality_code IS NULL$q$), '0',
    'A selecting accounts of B or without municipality (the operator) gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.session WHERE token_hash IN (sha256('session b.admin'), sha256('session op.one'))$q$), '0',
    'A selecting the sessions of B''s admin and of the operator by token hash gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.device WHERE token_hash = sha256('device B') OR device_id = 'bbbbbbbb-0000-4000-8000-0000000000f1'$q$), '0',
    'A selecting B''s tablet by token hash or id gets no row');

-- ---------------------------------------------------------------------------------------------
-- vrs_municipal bound to A: inserts.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('b.intruder', 'staff', '011002', '侵入者', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'A inserting a staff account for B is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.operator', 'operator', NULL, '偽運用者', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'A inserting an operator account is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.operator2', 'operator', '131016', '偽運用者', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'A inserting an operator account carrying its own municipality is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.nobody', 'staff', NULL, '無所属', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'A inserting a staff account without municipality is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.device (municipality_code, label, token_hash, created_by)
    VALUES ('011002', '偽タブレット', sha256('device X'), 'a.admin')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "device"',
    'A registering a tablet for B is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
    VALUES (sha256('session forged'), 'a.staff', 'staff', '131016', now() + interval '1 hour')$q$)$t$,
    '42501', 'permission denied for table session',
    'A cannot create a session (only vrs_auth can)');

-- ---------------------------------------------------------------------------------------------
-- vrs_municipal bound to A: updates of B's rows touch nothing; of its own, exactly one row.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.account SET locked = true, password_hash = 'pwned', display_name = 'pwned' WHERE user_id = 'b.admin'$q$), '0',
    'A locking / resetting / renaming B''s admin affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.account SET locked = true WHERE user_id = 'op.one'$q$), '0',
    'A locking the operator account affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'b.admin'$q$), '0',
    'A revoking B''s session affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.device SET revoked_at = now() WHERE device_id = 'bbbbbbbb-0000-4000-8000-0000000000f1'$q$), '0',
    'A revoking B''s tablet affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.account SET locked = true, display_name = '千代田 職員（休職）' WHERE user_id = 'a.staff'$q$), '1',
    'A locking and renaming its own staff account affects 1 row (the 0 above is RLS, not a bad statement)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'a.staff'$q$), '1',
    'A revoking its own staff''s session affects 1 row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.device SET revoked_at = now() WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$q$), '1',
    'A revoking its own tablet affects 1 row');

-- An UPDATE that reads no column (no WHERE, constant SET) needs no SELECT right, so only the
-- UPDATE policies filter it (the statements above are filtered by the SELECT policies as well).
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.account SET must_change_password = true$q$), '2',
    'A forcing a password change on every account it can reach touches exactly its two accounts');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.session SET revoked_at = now()$q$), '2',
    'A revoking every session it can reach touches exactly its two sessions');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.device SET revoked_at = now()$q$), '1',
    'A revoking every tablet it can reach touches exactly its tablet');

SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.account SET role = 'admin' WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'A cannot change an account''s role (no column grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.account SET municipality_code = '011002' WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'A cannot move an account to B (no column grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.session SET expires_at = now() + interval '10 years' WHERE user_id = 'a.admin'$q$)$t$,
    '42501', 'permission denied for table session', 'A cannot extend a session (no column grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.device SET municipality_code = '011002' WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$q$)$t$,
    '42501', 'permission denied for table device', 'A cannot move a tablet to B (no column grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$DELETE FROM vrs.account WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'A cannot DELETE an account (lock it instead)');

SELECT set_eq($$
    SELECT 'account' AS t, to_jsonb(a) AS row FROM vrs.account a WHERE municipality_code = '011002'
    UNION ALL SELECT 'session', to_jsonb(s) FROM vrs.session s WHERE municipality_code = '011002'
    UNION ALL SELECT 'device', to_jsonb(d) FROM vrs.device d WHERE municipality_code = '011002'$$,
    'SELECT t, row FROM b_before',
    'B''s account, session and tablet are unchanged after A''s attempts (checked as superuser)');
SELECT results_eq($$SELECT locked FROM vrs.account WHERE user_id = 'op.one'$$, $$VALUES (false)$$,
    'the operator account is unchanged after A''s attempt (checked as superuser)');

-- ---------------------------------------------------------------------------------------------
-- vrs_municipal with no tenant bound ('' as on a pooled connection after a transaction).
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_municipal', '',
    $q$SELECT (SELECT count(*) FROM vrs.account) || '/' || (SELECT count(*) FROM vrs.session) || '/' || (SELECT count(*) FROM vrs.device)$q$),
    '0/0/0', 'unbound vrs_municipal sees no account, session or device');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.unbound', 'staff', '131016', '未束縛', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'unbound vrs_municipal cannot insert an account for A');
SELECT is(pg_temp.rows_as('vrs_municipal', '',
    $q$UPDATE vrs.account SET locked = true$q$), '0',
    'unbound vrs_municipal locking every account (no WHERE) affects 0 rows');

-- ---------------------------------------------------------------------------------------------
-- vrs_operator.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT string_agg(user_id, ',' ORDER BY user_id) FROM vrs.account$q$),
    'a.admin,a.staff,b.admin,op.one', 'the operator sees every account');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT count(*) FROM vrs.session$q$), '4', 'the operator sees every session');
SELECT is(pg_temp.rows_as('vrs_operator', NULL,
    $q$UPDATE vrs.account SET locked = true, password_hash = '$argon2id$reset', must_change_password = true WHERE user_id = 'b.admin'$q$), '1',
    'the operator locks and resets B''s admin');
SELECT is(pg_temp.rows_as('vrs_operator', NULL,
    $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'b.admin'$q$), '1',
    'the operator revokes the session of B''s admin');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, 'SELECT * FROM vrs.device')$t$,
    '42501', 'permission denied for table device', 'the operator cannot read vrs.device');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$UPDATE vrs.account SET role = 'admin' WHERE user_id = 'op.one'$q$)$t$,
    '42501', 'permission denied for table account', 'the operator cannot change an account''s role');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$UPDATE vrs.account SET display_name = 'x' WHERE user_id = 'a.admin'$q$)$t$,
    '42501', 'permission denied for table account', 'the operator cannot rename an account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
       VALUES (sha256('session forged'), 'op.one', 'operator', NULL, now() + interval '1 hour')$q$)$t$,
    '42501', 'permission denied for table session', 'the operator cannot create a session');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$DELETE FROM vrs.account WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account', 'the operator cannot DELETE an account');

-- ---------------------------------------------------------------------------------------------
-- vrs_device: nothing.
-- ---------------------------------------------------------------------------------------------
SELECT is_empty($$
    SELECT t FROM unnest(ARRAY['vrs.account', 'vrs.session', 'vrs.device']) t
     WHERE has_table_privilege('vrs_device', t, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
        OR has_any_column_privilege('vrs_device', t, 'SELECT,INSERT,UPDATE,REFERENCES')$$,
    'vrs_device has no table or column privilege on account, session, device');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016', 'SELECT * FROM vrs.device')$t$,
    '42501', 'permission denied for table device', 'a tablet cannot read vrs.device (not even its own row)');

-- ---------------------------------------------------------------------------------------------
-- vrs_auth: authentication before the caller is known.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_auth', NULL,
    $q$SELECT string_agg(user_id || ':' || role || ':' || coalesce(municipality_code, '-'), ',' ORDER BY user_id) FROM vrs.account$q$),
    'a.admin:admin:131016,a.staff:staff:131016,b.admin:admin:011002,op.one:operator:-',
    'vrs_auth (unbound) reads every account');
SELECT is(pg_temp.value_as('vrs_auth', '131016',
    $q$SELECT user_id FROM vrs.session WHERE token_hash = sha256('session b.admin')$q$),
    'b.admin', 'vrs_auth finds a session of B by its token hash, whatever tenant is bound');
SELECT is(pg_temp.value_as('vrs_auth', NULL,
    $q$SELECT municipality_code || ':' || device_id FROM vrs.device WHERE token_hash = sha256('device B')$q$),
    '011002:bbbbbbbb-0000-4000-8000-0000000000f1', 'vrs_auth finds a tablet by its token hash');
SELECT is(pg_temp.rows_as('vrs_auth', NULL,
    $q$UPDATE vrs.account SET failed_attempts = failed_attempts + 1, locked_until = now() + interval '15 minutes', updated_at = now() WHERE user_id = 'b.admin'$q$), '1',
    'vrs_auth counts a failed log-in and sets a temporary lock');
SELECT is(pg_temp.rows_as('vrs_auth', NULL,
    $q$UPDATE vrs.session SET last_seen_at = now(), revoked_at = now() WHERE token_hash = sha256('session a.admin')$q$), '1',
    'vrs_auth touches and revokes a session (log-out)');
SELECT is(pg_temp.rows_as('vrs_auth', NULL,
    $q$UPDATE vrs.device SET last_seen_at = now() WHERE token_hash = sha256('device A')$q$), '1',
    'vrs_auth records that a tablet was seen');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.account SET role = 'operator' WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth cannot change an account''s role');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.account SET municipality_code = '011002' WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth cannot change an account''s municipality');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.account SET locked = false WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth cannot clear an operator/admin lock');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.account SET totp_secret = NULL WHERE user_id = 'op.one'$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth cannot remove a TOTP enrolment');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.device SET revoked_at = NULL WHERE token_hash = sha256('device A')$q$)$t$,
    '42501', 'permission denied for table device', 'vrs_auth cannot un-revoke a tablet');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('self.made', 'operator', NULL, '自称運用者', 'x')$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth cannot create an account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$DELETE FROM vrs.account WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth cannot DELETE an account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$DELETE FROM vrs.session WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table session', 'vrs_auth cannot DELETE a session (revoke it instead)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$DELETE FROM vrs.device WHERE token_hash = sha256('device A')$q$)$t$,
    '42501', 'permission denied for table device', 'vrs_auth cannot DELETE a tablet');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
    VALUES (sha256('session wrong tenant'), 'a.staff', 'staff', '011002', now() + interval '1 hour')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "session"',
    'vrs_auth cannot create a session of A''s staff bound to B');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
    VALUES (sha256('session wrong role'), 'a.staff', 'admin', '131016', now() + interval '1 hour')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "session"',
    'vrs_auth cannot create a session with a role other than the account''s');

-- Audit: a municipal user's log-in lands in that municipality's chain, an unknown user's failure
-- in the central chain.
SELECT is(pg_temp.value_as('vrs_auth', '131016',
    $q$SELECT vrs.append_audit_event('a.staff', 'staff', 'session.create', 'account', 'a.staff', 'success', 'req-1', '10.0.0.3', NULL) > 0$q$),
    'true', 'vrs_auth appends a log-in event with A bound');
SELECT is(pg_temp.value_as('vrs_auth', '',
    $q$SELECT vrs.append_audit_event(NULL, 'anonymous', 'session.create', 'account', 'no.such.user', 'failure', 'req-2', '10.0.0.9', NULL) > 0$q$),
    'true', 'vrs_auth appends a failed log-in with no tenant bound');
SELECT set_eq($$SELECT municipality_code::text, outcome FROM vrs.audit_event WHERE request_id IN ('req-1', 'req-2')$$,
    $$VALUES ('131016', 'success'), ('000000', 'failure')$$,
    'the log-in went to A''s chain and the unknown user''s failure to the central chain');

-- ---------------------------------------------------------------------------------------------
-- Constraints (as the operator, who may insert any account, so only the constraint refuses).
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.rows_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('op.two', 'operator', '131016', '運用 二郎', 'x')$q$),
    'error 23514: new row for relation "account" violates check constraint "account_role_municipality_check"',
    'an operator account with a municipality is rejected');
SELECT is(pg_temp.rows_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('x.staff', 'staff', NULL, '無所属 職員', 'x')$q$),
    'error 23514: new row for relation "account" violates check constraint "account_role_municipality_check"',
    'a staff account without a municipality is rejected');
SELECT is(pg_temp.rows_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('-bad id', 'staff', '131016', '不正', 'x')$q$),
    'error 23514: new row for relation "account" violates check constraint "account_user_id_check"',
    'a malformed user ID is rejected');
SELECT is(pg_temp.rows_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('A.Admin', 'staff', '131016', '紛らわしい', 'x')$q$),
    'error 23505: duplicate key value violates unique constraint "account_user_id_lower_key"',
    'a user ID equal to an existing one but for case is rejected');
SELECT is(pg_temp.rows_as('vrs_auth', NULL, $q$
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
    VALUES ('\x0102', 'a.staff', 'staff', '131016', now() + interval '1 hour')$q$),
    'error 23514: new row for relation "session" violates check constraint "session_token_hash_check"',
    'a session token hash that is not 32 bytes is rejected');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.device (municipality_code, label, token_hash, created_by)
    VALUES ('131016', '千代田 会場2', sha256('device A'), 'a.admin')$q$),
    'error 23505: duplicate key value violates unique constraint "device_token_hash_key"',
    'a tablet token hash already in use is rejected');

SELECT * FROM finish();
ROLLBACK;
