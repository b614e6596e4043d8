-- accounts.sql: accounts, sessions and devices (0003, as hardened by 0006/0007), proven at the
-- database.
--
-- Fixtures, each written the way production writes it: municipalities A = 131016 (千代田区) and
-- B = 011002 (札幌市) are provisioned by the operator; the host administrator (vrs_owner) creates
-- 'op.one' (operator), 'a.admin' (admin of A) and 'b.admin' (admin of B); A's admin, as
-- vrs_municipal_admin bound to A, creates 'a.staff'; every account signs in through
-- vrs.auth_open_session as vrs_auth (the operator with a TOTP step); each municipality's admin
-- registers one tablet. Then this file proves that:
--   * vrs_municipal bound to A sees exactly A's accounts, sessions and devices (the columns it is
--     granted); B's rows (and the operator's account and session) stay invisible even when named;
--     it cannot even name a password hash, a TOTP secret or a token hash (42501);
--   * A's admin cannot insert an account for B, an operator account, or an account without
--     municipality (42501, RLS), nor a session (42501, no grant), nor a device for B (RLS);
--   * A's admin's UPDATE of B's account, session and device affects 0 rows (the same statements
--     on A's own staff and tablet affect 1; WHERE-less updates, filtered by the UPDATE policies
--     alone, reach exactly A's staff, its staff's session and its tablet), and B's rows are
--     unchanged (checked as superuser);
--   * A's admin cannot update columns it has no grant on (account.role, account.municipality_code,
--     session.expires_at, device.municipality_code) nor DELETE (42501);
--   * vrs_municipal / vrs_municipal_admin with no tenant bound ('' as on a pooled connection) see
--     and insert nothing;
--   * vrs_operator sees every account and session (without secrets) but writes none of them: the
--     old grants that let it lock and reset B's admin and revoke B's sessions are gone (42501);
--     it cannot create accounts or sessions, touch devices, change roles or names, DELETE, nor
--     read password_hash, totp_secret or token_hash (42501);
--   * vrs_device has no privilege at all on account, session, device;
--   * vrs_auth no longer reads every account, session and device nor updates or inserts any
--     (42501): the hole of 0003 is closed; the sign-in door gives a session exactly its
--     account's role and municipality; vrs_auth still appends audit events to the bound
--     municipality's chain, or to the central chain when none is bound;
--   * constraints: operator with a municipality and admin/staff without one are rejected
--     (account_role_municipality_check), as are malformed user IDs, user IDs equal but for case,
--     short token hashes and a reused device token; each violation names its constraint.
-- sign_in.sql proves the vrs_auth doors and the session/device guards in detail,
-- account_requests.sql the operator doors and the admin/staff split.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(90);

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

SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, must_change_password) VALUES
        ('op.one',  'operator', NULL,     '運用 一郎', '$argon2id$op', false),
        ('a.admin', 'admin',    '131016', '千代田 管理', '$argon2id$aa', false),
        ('b.admin', 'admin',    '011002', '札幌 管理', '$argon2id$ba', false)$q$),
    '3', 'fixture: the host administrator (owner) creates an operator account and the admins of A and B');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.staff', 'staff', '131016', '千代田 職員', '$argon2id$as')$q$),
    '1', 'fixture: A''s admin (vrs_municipal_admin) creates a staff account in A');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT count(vrs.auth_open_session(sha256(t::bytea), u, h, s, c, 28800)) FROM (VALUES
        ('session op.one',  'op.one',  '$argon2id$op', floor(extract(epoch FROM now()) / 30)::bigint, '10.0.0.1'),
        ('session a.admin', 'a.admin', '$argon2id$aa', NULL, '10.0.0.2'),
        ('session a.staff', 'a.staff', '$argon2id$as', NULL, '10.0.0.3'),
        ('session b.admin', 'b.admin', '$argon2id$ba', NULL, '10.0.0.4')) v(t, u, h, s, c)$q$),
    '4', 'fixture: each account signs in through vrs.auth_open_session (vrs_auth)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
    VALUES ('aaaaaaaa-0000-4000-8000-0000000000f1', '131016', '千代田 会場1', sha256('device A'), 'a.admin')$q$),
    '1', 'fixture: A''s admin registers a tablet');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '011002', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
    VALUES ('bbbbbbbb-0000-4000-8000-0000000000f1', '011002', '札幌 会場1', sha256('device B'), 'b.admin')$q$),
    '1', 'fixture: B''s admin registers a tablet');

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
    $q$SELECT user_id, role, locked FROM vrs.account WHERE user_id = 'b.admin'$q$), '0',
    'A selecting B''s account by user_id gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT user_id FROM vrs.account WHERE municipality_code = '011002' OR municipality_code IS NULL$q$), '0',
    'A selecting accounts of B or without municipality (the operator) gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT user_id, expires_at FROM vrs.session WHERE user_id IN ('b.admin', 'op.one')$q$), '0',
    'A selecting the sessions of B''s admin and of the operator by user_id gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT device_id FROM vrs.device WHERE device_id = 'bbbbbbbb-0000-4000-8000-0000000000f1'$q$), '0',
    'A selecting B''s tablet by id gets no row');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$SELECT password_hash FROM vrs.account WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'A cannot read a password hash, not even its own staff''s');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$SELECT totp_secret FROM vrs.account WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'A''s admin cannot read a TOTP secret');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$SELECT user_id FROM vrs.session WHERE token_hash = sha256('session b.admin')$q$)$t$,
    '42501', 'permission denied for table session', 'A''s admin cannot name a session token hash');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$SELECT device_id FROM vrs.device WHERE token_hash = sha256('device B')$q$)$t$,
    '42501', 'permission denied for table device', 'A''s admin cannot name a device token hash');

-- ---------------------------------------------------------------------------------------------
-- A's admin: inserts.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('b.intruder', 'staff', '011002', '侵入者', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'A''s admin inserting a staff account for B is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.operator', 'operator', NULL, '偽運用者', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'A''s admin inserting an operator account is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.operator2', 'operator', '131016', '偽運用者', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'A''s admin inserting an operator account carrying its own municipality is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.nobody', 'staff', NULL, '無所属', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'A''s admin inserting a staff account without municipality is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.device (municipality_code, label, token_hash, created_by)
    VALUES ('011002', '偽タブレット', sha256('device X'), 'a.admin')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "device"',
    'A''s admin registering a tablet for B is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
    VALUES (sha256('session forged'), 'a.staff', 'staff', '131016', now() + interval '1 hour')$q$)$t$,
    '42501', 'permission denied for table session',
    'A''s admin cannot create a session (only the sign-in door can)');

-- ---------------------------------------------------------------------------------------------
-- A's admin: updates of B's rows touch nothing; of its own staff and tablet, exactly one row.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.account SET locked = true, password_hash = 'pwned', display_name = 'pwned' WHERE user_id = 'b.admin'$q$), '0',
    'A''s admin locking / resetting / renaming B''s admin affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.account SET locked = true WHERE user_id = 'op.one'$q$), '0',
    'A''s admin locking the operator account affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'b.admin'$q$), '0',
    'A''s admin revoking B''s session affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.device SET revoked_at = now() WHERE device_id = 'bbbbbbbb-0000-4000-8000-0000000000f1'$q$), '0',
    'A''s admin revoking B''s tablet affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.account SET locked = true, display_name = '千代田 職員（休職）' WHERE user_id = 'a.staff'$q$), '1',
    'A''s admin locking and renaming its own staff account affects 1 row (the 0 above is RLS, not a bad statement)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'a.staff'$q$), '1',
    'A''s admin revoking its own staff''s session affects 1 row');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.device SET revoked_at = now() WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$q$), '1',
    'A''s admin revoking its own tablet affects 1 row');

-- An UPDATE that reads no column (no WHERE, constant SET) needs no SELECT right, so only the
-- UPDATE policies filter it (the statements above are filtered by the SELECT policies as well).
-- revoked_at = now() again equals the value set above (now() is fixed for the transaction), so
-- the guards' "a revoked row stays revoked" lets these through.
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.account SET must_change_password = true$q$), '1',
    'A''s admin forcing a password change on every account it can reach touches exactly its staff account (not itself)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.session SET revoked_at = now()$q$), '1',
    'A''s admin revoking every session it can reach touches exactly its staff''s session');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.device SET revoked_at = now()$q$), '1',
    'A''s admin revoking every tablet it can reach touches exactly its tablet');

SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.account SET role = 'admin' WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'A''s admin cannot change an account''s role (no column grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.account SET municipality_code = '011002' WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'A''s admin cannot move an account to B (no column grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.session SET expires_at = now() + interval '10 years' WHERE user_id = 'a.admin'$q$)$t$,
    '42501', 'permission denied for table session', 'A''s admin cannot extend a session (no column grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.device SET municipality_code = '011002' WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$q$)$t$,
    '42501', 'permission denied for table device', 'A''s admin cannot move a tablet to B (no column grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$DELETE FROM vrs.account WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'A''s admin cannot DELETE an account (lock it instead)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$DELETE FROM vrs.session WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table session', 'A''s admin cannot DELETE a session (revoke it instead)');

SELECT set_eq($$
    SELECT 'account' AS t, to_jsonb(a) AS row FROM vrs.account a WHERE municipality_code = '011002'
    UNION ALL SELECT 'session', to_jsonb(s) FROM vrs.session s WHERE municipality_code = '011002'
    UNION ALL SELECT 'device', to_jsonb(d) FROM vrs.device d WHERE municipality_code = '011002'$$,
    'SELECT t, row FROM b_before',
    'B''s account, session and tablet are unchanged after A''s attempts (checked as superuser)');
SELECT results_eq($$SELECT locked, must_change_password FROM vrs.account WHERE user_id IN ('op.one', 'a.admin') ORDER BY user_id$$,
    $$VALUES (false, false), (false, false)$$,
    'the operator account and A''s admin itself are unchanged after A''s updates (checked as superuser)');

-- ---------------------------------------------------------------------------------------------
-- No tenant bound ('' as on a pooled connection after a transaction).
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_municipal', '',
    $q$SELECT (SELECT count(*) FROM vrs.account) || '/' || (SELECT count(*) FROM vrs.session) || '/' || (SELECT count(*) FROM vrs.device)$q$),
    '0/0/0', 'unbound vrs_municipal sees no account, session or device');
SELECT is(pg_temp.value_as('vrs_municipal_admin', '',
    $q$SELECT (SELECT count(*) FROM vrs.account) || '/' || (SELECT count(*) FROM vrs.session) || '/' || (SELECT count(*) FROM vrs.device)$q$),
    '0/0/0', 'unbound vrs_municipal_admin sees no account, session or device');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.unbound', 'staff', '131016', '未束縛', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'unbound vrs_municipal_admin cannot insert an account for A');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '',
    $q$UPDATE vrs.account SET locked = true$q$), '0',
    'unbound vrs_municipal_admin locking every account (no WHERE) affects 0 rows');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.unbound', 'staff', '131016', '未束縛', 'x')$q$)$t$,
    '42501', 'permission denied for table account',
    'unbound vrs_municipal (staff) cannot insert an account at all (no grant)');

-- ---------------------------------------------------------------------------------------------
-- vrs_operator: reads accounts and sessions without their secrets, writes neither.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT string_agg(user_id, ',' ORDER BY user_id) FROM vrs.account$q$),
    'a.admin,a.staff,b.admin,op.one', 'the operator sees every account');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT count(*) FROM vrs.session$q$), '4', 'the operator sees every session');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$UPDATE vrs.account SET locked = true, password_hash = '$argon2id$reset', must_change_password = true WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account',
    'the operator can no longer lock and reset B''s admin by UPDATE (only through the four-eyes doors)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$UPDATE vrs.account SET locked = true WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account',
    'the operator can no longer lock an account by UPDATE (only through operator_set_locked)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table session', 'the operator can no longer revoke a session by UPDATE');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('op.two', 'operator', NULL, '運用 二郎', 'x')$q$)$t$,
    '42501', 'permission denied for table account', 'the operator can no longer create accounts (not even an operator)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$SELECT password_hash FROM vrs.account WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account', 'the operator cannot read a password hash');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$SELECT user_id FROM vrs.session WHERE token_hash = sha256('session b.admin')$q$)$t$,
    '42501', 'permission denied for table session', 'the operator cannot name a session token hash');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, 'SELECT device_id FROM vrs.device')$t$,
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
SELECT results_eq($$SELECT locked, password_hash, (SELECT count(*) FROM vrs.session s WHERE s.user_id = 'b.admin' AND s.revoked_at IS NULL)
                     FROM vrs.account WHERE user_id = 'b.admin'$$,
    $$VALUES (false, '$argon2id$ba', 1::bigint)$$,
    'superuser check: B''s admin is neither locked nor reset and its session is live after the operator''s attempts');

-- ---------------------------------------------------------------------------------------------
-- vrs_device: nothing.
-- ---------------------------------------------------------------------------------------------
SELECT is_empty($$
    SELECT t FROM unnest(ARRAY['vrs.account', 'vrs.session', 'vrs.device']) t
     WHERE has_table_privilege('vrs_device', t, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
        OR has_any_column_privilege('vrs_device', t, 'SELECT,INSERT,UPDATE,REFERENCES')$$,
    'vrs_device has no table or column privilege on account, session, device');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016', 'SELECT device_id FROM vrs.device')$t$,
    '42501', 'permission denied for table device', 'a tablet cannot read vrs.device (not even its own row)');

-- ---------------------------------------------------------------------------------------------
-- vrs_auth: no table privilege any more (the 0003 grants were the hole); doors only.
-- ---------------------------------------------------------------------------------------------
SELECT is_empty($$
    SELECT t FROM unnest(ARRAY['vrs.account', 'vrs.session', 'vrs.device']) t
     WHERE has_table_privilege('vrs_auth', t, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
        OR has_any_column_privilege('vrs_auth', t, 'SELECT,INSERT,UPDATE,REFERENCES')$$,
    'vrs_auth has no table or column privilege on account, session, device');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$SELECT string_agg(user_id || ':' || password_hash, ',') FROM vrs.account$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth can no longer read every account and its hash');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', '131016',
    $q$SELECT user_id FROM vrs.session WHERE token_hash = sha256('session b.admin')$q$)$t$,
    '42501', 'permission denied for table session', 'vrs_auth can no longer read sessions');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$SELECT device_id FROM vrs.device WHERE token_hash = sha256('device B')$q$)$t$,
    '42501', 'permission denied for table device', 'vrs_auth can no longer read devices');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.account SET failed_attempts = 0, locked_until = NULL WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth can no longer clear failure counts by UPDATE');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.account SET password_hash = 'x' WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth can no longer rewrite a password hash by UPDATE');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.session SET last_seen_at = now(), revoked_at = NULL WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table session', 'vrs_auth can no longer touch or un-revoke a session by UPDATE');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    $q$UPDATE vrs.device SET revoked_at = NULL WHERE device_id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$q$)$t$,
    '42501', 'permission denied for table device', 'vrs_auth cannot un-revoke a tablet');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('self.made', 'operator', NULL, '自称運用者', 'x')$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth cannot create an account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
    VALUES (sha256('session wrong tenant'), 'a.staff', 'staff', '011002', now() + interval '1 hour')$q$)$t$,
    '42501', 'permission denied for table session',
    'vrs_auth can no longer insert a session by hand (e.g. A''s staff bound to B)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$DELETE FROM vrs.account WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table account', 'vrs_auth cannot DELETE an account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$DELETE FROM vrs.session WHERE user_id = 'b.admin'$q$)$t$,
    '42501', 'permission denied for table session', 'vrs_auth cannot DELETE a session');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$DELETE FROM vrs.device WHERE token_hash = sha256('device A')$q$)$t$,
    '42501', 'permission denied for table device', 'vrs_auth cannot DELETE a tablet');
SELECT set_eq($$SELECT user_id, role, municipality_code::text, client_address FROM vrs.session$$,
    $$VALUES ('op.one', 'operator', NULL, '10.0.0.1'), ('a.admin', 'admin', '131016', '10.0.0.2'),
             ('a.staff', 'staff', '131016', '10.0.0.3'), ('b.admin', 'admin', '011002', '10.0.0.4')$$,
    'the sign-in door gave each session exactly its account''s role and municipality (checked as superuser)');

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
-- Constraints (as the owner, who may insert any account, so only the constraint refuses).
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('op.two', 'operator', '131016', '運用 二郎', 'x')$q$),
    'error 23514: new row for relation "account" violates check constraint "account_role_municipality_check"',
    'an operator account with a municipality is rejected');
SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('x.staff', 'staff', NULL, '無所属 職員', 'x')$q$),
    'error 23514: new row for relation "account" violates check constraint "account_role_municipality_check"',
    'a staff account without a municipality is rejected');
SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('-bad id', 'staff', '131016', '不正', 'x')$q$),
    'error 23514: new row for relation "account" violates check constraint "account_user_id_check"',
    'a malformed user ID is rejected');
SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('A.Admin', 'staff', '131016', '紛らわしい', 'x')$q$),
    'error 23505: duplicate key value violates unique constraint "account_user_id_lower_key"',
    'a user ID equal to an existing one but for case is rejected');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('A.STAFF', 'staff', '131016', '紛らわしい', 'x')$q$),
    'error 23505: duplicate key value violates unique constraint "account_user_id_lower_key"',
    'an admin creating a staff user ID equal to an existing one but for case is rejected');
-- b.admin's own session is already live; the short hash is refused before any trigger or key.
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT vrs.auth_open_session('\x0102', 'b.admin', '$argon2id$ba', NULL, '10.0.0.4', 3600)$q$),
    'error 23514: new row for relation "session" violates check constraint "session_token_hash_check"',
    'a session token hash that is not 32 bytes is rejected');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT vrs.auth_open_session(sha256('session b.admin'), 'b.admin', '$argon2id$ba', NULL, '10.0.0.4', 3600)$q$),
    'error 23505: duplicate key value violates unique constraint "session_pkey"',
    'a session token hash already in use is rejected');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.device (municipality_code, label, token_hash, created_by)
    VALUES ('131016', '千代田 会場2', sha256('device A'), 'a.admin')$q$),
    'error 23505: duplicate key value violates unique constraint "device_token_hash_key"',
    'a tablet token hash already in use is rejected');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.device (municipality_code, label, token_hash, created_by)
    VALUES ('131016', '千代田 会場3', '\x0102', 'a.admin')$q$),
    'error 23514: new row for relation "device" violates check constraint "device_token_hash_check"',
    'a tablet token hash that is not 32 bytes is rejected');

SELECT * FROM finish();
ROLLBACK;
