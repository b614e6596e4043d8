-- account_requests.sql: what an operator may do to municipal accounts (0008, doors only), the
-- admin/staff split of 0006, the key rows and row-level security on partitions, proven at the
-- database.
--
-- Fixtures: municipalities A = 131016 (千代田区) and B = 011002 (札幌市) are provisioned by the
-- operator; the host administrator (vrs_owner) creates the operators op.one and op.two, op.new
-- (must still change its password) and op.gone (locked after signing in); every account signs in
-- through vrs.auth_open_session (operators with a TOTP step); the first admins of A and B are
-- created through vrs.create_first_admin; the admins create their staff as vrs_municipal_admin.
-- Then this file proves that:
--   * vrs_operator holds no INSERT or UPDATE on account, no UPDATE on session, cannot SELECT
--     account.password_hash, account.totp_secret or session.token_hash (42501), cannot write
--     municipality_key or municipality.key_version, and cannot write account_request by hand;
--   * create_first_admin works alone for a municipality without admin (the admin must change its
--     password) and refuses (VRS23) once the municipality has one; an unprovisioned municipality
--     is VRS01; an unknown token, a revoked operator session, a staff session, an operator that
--     must change its password and a locked operator are VRS22 (no live operator session);
--   * request_account + approve_account_request: the requester's own approval is refused
--     (VRS27); another operator's approval carries the request out — create_admin inserts the
--     admin with must_change_password and the approver's hash, reset_password sets the hash,
--     must_change_password and revokes every session of the target — and marks it approved by the
--     approver; approving twice is VRS26, an expired request is VRS26 (nothing changed); a second
--     pending request for the same user ID is refused (23505 account_request_pending_key); a
--     create_admin for a taken user ID is 23505; a reset of an operator or of an account outside
--     the given municipality is VRS25;
--   * operator_set_locked locks a municipal account and revokes its sessions, unlocks it again,
--     and refuses an operator account or an unknown one (VRS25);
--   * every door that acted wrote its event to BOTH the central chain '000000' and the target
--     municipality's chain, refused calls wrote nothing, and every chain still verifies;
--   * vrs_municipal, vrs_municipal_admin, vrs_auth, vrs_device (and vrs_app) cannot execute the
--     operator doors; nobody but the owner executes operator_of or audit_operator_action;
--   * staff (vrs_municipal) cannot insert or update accounts, sessions or devices (42501);
--     an admin (vrs_municipal_admin) can for its own staff and tablets, but not for another admin
--     of its municipality (0 rows) nor for another municipality (RLS 42501 / 0 rows);
--   * key rows: neither vrs_municipal nor vrs_municipal_admin can insert municipality_key or
--     update municipality.key_version;
--   * every partition in schema vrs (pg_inherits children of vrs parents) has row-level security
--     enabled and forced after provisioning.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(116);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

-- As the server does for an operator request (vrs_operator, no tenant bound).
CREATE FUNCTION pg_temp.op(p_sql text) RETURNS text
    LANGUAGE sql AS $fn$ SELECT pg_temp.value_as('vrs_operator', NULL, p_sql) $fn$;
-- Account requests made below, by name.
CREATE TEMP TABLE req (name text PRIMARY KEY, id text);
CREATE FUNCTION pg_temp.req(p_name text) RETURNS text
    LANGUAGE sql AS $fn$ SELECT id FROM req WHERE name = p_name $fn$;

-- ---------------------------------------------------------------------------------------------
-- Fixtures.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'test-master')$q$),
    'true', 'fixture: operator provisions A (131016)');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'test-master')$q$),
    'true', 'fixture: operator provisions B (011002)');
SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, must_change_password) VALUES
        ('op.one',  'operator', NULL, '運用 一郎', '$h$op1', false),
        ('op.two',  'operator', NULL, '運用 二郎', '$h$op2', false),
        ('op.new',  'operator', NULL, '運用 新人', '$h$opn', true),
        ('op.gone', 'operator', NULL, '運用 退職', '$h$opg', false)$q$),
    '4', 'fixture: the host administrator (owner) creates four operator accounts');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT count(vrs.auth_open_session(sha256(t::bytea), u, h, floor(extract(epoch FROM now()) / 30)::bigint + d, '10.0.0.1', 28800))
      FROM (VALUES ('t op1', 'op.one', '$h$op1', 0), ('t op1 old', 'op.one', '$h$op1', 1), ('t op2', 'op.two', '$h$op2', 0),
                   ('t opnew', 'op.new', '$h$opn', 0), ('t opgone', 'op.gone', '$h$opg', 0)) v(t, u, h, d)$q$),
    '5', 'fixture: the operators sign in through vrs.auth_open_session with TOTP steps');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_revoke_session(sha256('t op1 old'))$q$),
    'true', 'fixture: op.one signs out of its second session');
SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$UPDATE vrs.account SET locked = true WHERE user_id = 'op.gone'$q$),
    '1', 'fixture: the host administrator locks op.gone (its session stays unrevoked)');

-- ---------------------------------------------------------------------------------------------
-- vrs_operator writes no account, session or key row by hand, and reads no secret.
-- ---------------------------------------------------------------------------------------------
SELECT is_empty($$
    SELECT t, p FROM (VALUES ('vrs.account', 'INSERT'), ('vrs.account', 'UPDATE'), ('vrs.account', 'DELETE'),
                             ('vrs.session', 'INSERT'), ('vrs.session', 'UPDATE'), ('vrs.session', 'DELETE'),
                             ('vrs.account_request', 'INSERT'), ('vrs.account_request', 'UPDATE'), ('vrs.account_request', 'DELETE'),
                             ('vrs.municipality_key', 'INSERT'), ('vrs.municipality_key', 'UPDATE'), ('vrs.municipality', 'UPDATE')) g(t, p)
     WHERE has_table_privilege('vrs_operator', t, p)
        OR (p <> 'DELETE' AND has_any_column_privilege('vrs_operator', t, p))$$,
    'vrs_operator has no INSERT/UPDATE/DELETE (table or column) on account, session, account_request, municipality_key, nor UPDATE on municipality');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT password_hash FROM vrs.account WHERE user_id = 'op.one'$q$)$t$,
    '42501', 'permission denied for table account', 'the operator cannot SELECT account.password_hash');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT totp_secret FROM vrs.account$q$)$t$,
    '42501', 'permission denied for table account', 'the operator cannot SELECT account.totp_secret');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT token_hash FROM vrs.session$q$)$t$,
    '42501', 'permission denied for table session', 'the operator cannot SELECT session.token_hash');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.sneaky', 'admin', '131016', '裏口', '$h$x')$q$)$t$,
    '42501', 'permission denied for table account', 'the operator cannot INSERT an account by hand');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$UPDATE vrs.account SET must_change_password = true WHERE user_id = 'op.two'$q$)$t$,
    '42501', 'permission denied for table account', 'the operator cannot UPDATE an account by hand');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'op.two'$q$)$t$,
    '42501', 'permission denied for table session', 'the operator cannot UPDATE a session by hand');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id) VALUES ('131016', 'data', 2, '\x01', 'm')$q$)$t$,
    '42501', 'permission denied for table municipality_key', 'the operator cannot INSERT a municipality_key row');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$UPDATE vrs.municipality SET key_version = 2 WHERE code = '131016'$q$)$t$,
    '42501', 'permission denied for table municipality', 'the operator cannot UPDATE municipality.key_version');

-- ---------------------------------------------------------------------------------------------
-- create_first_admin.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t op1'), 'a.admin', '131016', '千代田 管理', '$h$aa', 'rq-first-a', '10.0.0.1')$q$),
    'done', 'op.one alone creates the first admin of A');
SELECT results_eq($$SELECT role, municipality_code::text, display_name, password_hash, must_change_password FROM vrs.account WHERE user_id = 'a.admin'$$,
    $$VALUES ('admin', '131016', '千代田 管理', '$h$aa', true)$$,
    'superuser check: A''s first admin exists with its hash and must change its password');
SELECT is(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t op2'), 'a.admin.bis', '131016', '千代田 管理2', '$h$x', 'rq-x-first-a-again', '10.0.0.2')$q$),
    'error VRS23: municipality 131016 already has an admin: a further admin needs an account request',
    'a second first admin of A is refused (VRS23), even by another operator');
SELECT matches(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t op1'), 'c.admin', '131041', '新宿 管理', '$h$x', 'rq-x-first-c', '10.0.0.1')$q$),
    '^error VRS01: ', 'a first admin for an unprovisioned municipality is refused (VRS01)');
SELECT matches(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t forged'), 'b.admin', '011002', '札幌 管理', '$h$x', 'rq-x-forged', '10.0.0.9')$q$),
    '^error VRS22: ', 'an unknown token is no operator session (VRS22)');
SELECT matches(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t op1 old'), 'b.admin', '011002', '札幌 管理', '$h$x', 'rq-x-revoked', '10.0.0.1')$q$),
    '^error VRS22: ', 'a revoked operator session is refused (VRS22)');
SELECT matches(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t opnew'), 'b.admin', '011002', '札幌 管理', '$h$x', 'rq-x-new', '10.0.0.3')$q$),
    '^error VRS22: ', 'an operator that must still change its password is refused (VRS22)');
SELECT matches(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t opgone'), 'b.admin', '011002', '札幌 管理', '$h$x', 'rq-x-gone', '10.0.0.4')$q$),
    '^error VRS22: ', 'a locked operator''s still unrevoked session is refused (VRS22)');
SELECT is(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t op2'), 'b.admin', '011002', '札幌 管理', '$h$ba', 'rq-first-b', '10.0.0.2')$q$),
    'done', 'op.two creates the first admin of B');

SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash) VALUES
        ('a.staff', 'staff', '131016', '千代田 職員', '$h$as')$q$),
    '1', 'A''s admin (vrs_municipal_admin bound to A) creates its staff');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '011002', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash) VALUES
        ('b.staff', 'staff', '011002', '札幌 職員', '$h$bs')$q$),
    '1', 'B''s admin creates its staff');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$
    SELECT count(vrs.auth_open_session(sha256(t::bytea), u, h, NULL, '10.0.1.1', 28800))
      FROM (VALUES ('t a.staff 1', 'a.staff', '$h$as'), ('t a.staff 2', 'a.staff', '$h$as'), ('t b.admin', 'b.admin', '$h$ba'),
                   ('t b.staff', 'b.staff', '$h$bs'), ('t a.admin', 'a.admin', '$h$aa')) v(t, u, h)$q$),
    '5', 'fixture: the municipal accounts sign in');
SELECT matches(pg_temp.op($q$SELECT 'done' FROM vrs.create_first_admin(sha256('t a.staff 1'), 'a.evil', '131016', '偽', '$h$x', 'rq-x-staff', '10.0.1.1')$q$),
    '^error VRS22: ', 'a municipal (staff) session token is no operator session (VRS22)');

-- ---------------------------------------------------------------------------------------------
-- request_account / approve_account_request: four eyes.
-- ---------------------------------------------------------------------------------------------
INSERT INTO req VALUES ('admin2', pg_temp.op($q$
    SELECT vrs.request_account(sha256('t op1'), 'create_admin', '131016', 'a.admin2', '千代田 管理2', 'rq-req-admin2', '10.0.0.1')$q$));
SELECT matches(pg_temp.req('admin2'), '^[0-9a-f]{8}-[0-9a-f]{4}-', 'op.one requests a further admin of A');
SELECT results_eq($$SELECT kind, municipality_code::text, user_id, requested_by, status, decided_by FROM vrs.account_request WHERE request_id = pg_temp.req('admin2')::uuid$$,
    $$VALUES ('create_admin', '131016', 'a.admin2', 'op.one', 'pending', NULL::text)$$,
    'superuser check: the request is pending, asked by op.one');
SELECT is(pg_temp.op($q$SELECT count(*) FROM vrs.account_request WHERE status = 'pending'$q$), '1',
    'the operators read the pending requests');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$UPDATE vrs.account_request SET status = 'approved', decided_by = 'op.two'$q$)$t$,
    '42501', 'permission denied for table account_request', 'an operator cannot approve by UPDATE');
SELECT is(pg_temp.op(format($q$SELECT user_id FROM vrs.approve_account_request(sha256('t op1'), %L, '$h$x', 'rq-x-self', '10.0.0.1')$q$, pg_temp.req('admin2'))),
    'error VRS27: four-eyes: the operator who asked cannot approve', 'the requester''s own approval is refused (VRS27)');
SELECT is((SELECT count(*) FROM vrs.account WHERE user_id = 'a.admin2'), 0::bigint,
    'superuser check: the refused approval created no account');
SELECT is(pg_temp.op(format($q$SELECT kind || '/' || user_id || '/' || municipality_code || '/' || role
                                 FROM vrs.approve_account_request(sha256('t op2'), %L, '$h$a2', 'rq-appr-admin2', '10.0.0.2')$q$, pg_temp.req('admin2'))),
    'create_admin/a.admin2/131016/admin', 'op.two approves: the admin is created');
SELECT results_eq($$SELECT role, municipality_code::text, display_name, password_hash, must_change_password FROM vrs.account WHERE user_id = 'a.admin2'$$,
    $$VALUES ('admin', '131016', '千代田 管理2', '$h$a2', true)$$,
    'superuser check: A''s second admin exists with the approver''s hash and must change its password');
SELECT results_eq($$SELECT status, decided_by, decided_at = now() FROM vrs.account_request WHERE request_id = pg_temp.req('admin2')::uuid$$,
    $$VALUES ('approved', 'op.two', true)$$, 'superuser check: the request is approved by op.two');
SELECT matches(pg_temp.op(format($q$SELECT user_id FROM vrs.approve_account_request(sha256('t op2'), %L, '$h$y', 'rq-x-twice', '10.0.0.2')$q$, pg_temp.req('admin2'))),
    '^error VRS26: ', 'approving the same request twice is refused (VRS26)');
SELECT matches(pg_temp.op(format($q$SELECT user_id FROM vrs.approve_account_request(sha256('t op2'), %L, '$h$y', 'rq-x-nosuch', '10.0.0.2')$q$, gen_random_uuid())),
    '^error VRS25: ', 'approving an unknown request is refused (VRS25)');

INSERT INTO req VALUES ('reset', pg_temp.op($q$
    SELECT vrs.request_account(sha256('t op2'), 'reset_password', NULL, 'a.staff', NULL, 'rq-req-reset', '10.0.0.2')$q$));
SELECT matches(pg_temp.req('reset'), '^[0-9a-f]{8}-[0-9a-f]{4}-', 'op.two requests a password reset of A''s staff (municipality found from the account)');
SELECT is((SELECT municipality_code::text FROM vrs.account_request WHERE request_id = pg_temp.req('reset')::uuid), '131016',
    'superuser check: the reset request carries the account''s municipality');
SELECT is(pg_temp.op($q$SELECT vrs.request_account(sha256('t op1'), 'reset_password', NULL, 'a.staff', NULL, 'rq-x-dup', '10.0.0.1')$q$),
    'error 23505: duplicate key value violates unique constraint "account_request_pending_key"',
    'a second pending request for the same user ID is refused (23505 account_request_pending_key)');
SELECT is(pg_temp.op(format($q$SELECT user_id FROM vrs.approve_account_request(sha256('t op2'), %L, '$h$x', 'rq-x-self2', '10.0.0.2')$q$, pg_temp.req('reset'))),
    'error VRS27: four-eyes: the operator who asked cannot approve', 'the requester of the reset cannot approve it (VRS27)');
SELECT is((SELECT count(*) FROM vrs.session WHERE user_id = 'a.staff' AND revoked_at IS NULL), 2::bigint,
    'superuser check: before the approval A''s staff has two live sessions');
SELECT is(pg_temp.op(format($q$SELECT kind || '/' || user_id || '/' || municipality_code || '/' || role
                                 FROM vrs.approve_account_request(sha256('t op1'), %L, '$h$reset', 'rq-appr-reset', '10.0.0.1')$q$, pg_temp.req('reset'))),
    'reset_password/a.staff/131016/staff', 'op.one approves the reset');
SELECT results_eq($$SELECT password_hash, must_change_password, password_changed_at = now(),
                           (SELECT count(*) FROM vrs.session s WHERE s.user_id = 'a.staff' AND s.revoked_at IS NULL)
                      FROM vrs.account WHERE user_id = 'a.staff'$$,
    $$VALUES ('$h$reset', true, true, 0::bigint)$$,
    'superuser check: the reset set the hash and must_change_password and revoked every session of the target');
SELECT is((SELECT count(*) FROM vrs.session WHERE user_id IN ('a.admin', 'b.staff') AND revoked_at IS NULL), 2::bigint,
    'superuser check: other accounts'' sessions are untouched by the reset');

INSERT INTO req VALUES ('expired', pg_temp.op($q$
    SELECT vrs.request_account(sha256('t op1'), 'reset_password', '011002', 'b.staff', NULL, 'rq-req-expired', '10.0.0.1')$q$));
SELECT matches(pg_temp.req('expired'), '^[0-9a-f]{8}-[0-9a-f]{4}-', 'op.one requests a reset of B''s staff');
UPDATE vrs.account_request SET requested_at = now() - interval '73 hours', expires_at = now() - interval '1 hour'
 WHERE request_id = pg_temp.req('expired')::uuid;
SELECT matches(pg_temp.op(format($q$SELECT user_id FROM vrs.approve_account_request(sha256('t op2'), %L, '$h$x', 'rq-x-expired', '10.0.0.2')$q$, pg_temp.req('expired'))),
    '^error VRS26: ', 'approving an expired request is refused (VRS26)');
SELECT results_eq($$SELECT password_hash, (SELECT count(*) FROM vrs.session s WHERE s.user_id = 'b.staff' AND s.revoked_at IS NULL)
                      FROM vrs.account WHERE user_id = 'b.staff'$$,
    $$VALUES ('$h$bs', 1::bigint)$$, 'superuser check: the expired request changed nothing');

SELECT is(pg_temp.op($q$SELECT vrs.request_account(sha256('t op1'), 'create_admin', '131016', 'A.STAFF', NULL, 'rq-x-taken', '10.0.0.1')$q$),
    'error 23505: the user ID is not available', 'a further admin under a taken user ID (any case) is refused (23505)');
SELECT matches(pg_temp.op($q$SELECT vrs.request_account(sha256('t op1'), 'reset_password', NULL, 'op.two', NULL, 'rq-x-op', '10.0.0.1')$q$),
    '^error VRS25: ', 'a reset of an operator account cannot be requested (VRS25)');
SELECT matches(pg_temp.op($q$SELECT vrs.request_account(sha256('t op1'), 'reset_password', '011002', 'a.admin', NULL, 'rq-x-wrong-muni', '10.0.0.1')$q$),
    '^error VRS25: ', 'a reset of an account outside the given municipality cannot be requested (VRS25)');
SELECT matches(pg_temp.op($q$SELECT vrs.request_account(sha256('t op1'), 'make_operator', '131016', 'a.x', NULL, 'rq-x-kind', '10.0.0.1')$q$),
    '^error 22023: ', 'an unknown request kind is refused (22023)');
SELECT matches(pg_temp.op($q$SELECT vrs.request_account(sha256('t opnew'), 'create_admin', '131016', 'a.admin3', NULL, 'rq-x-new2', '10.0.0.3')$q$),
    '^error VRS22: ', 'an operator that must change its password cannot request either (VRS22)');

-- ---------------------------------------------------------------------------------------------
-- operator_set_locked.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.op($q$SELECT vrs.operator_set_locked(sha256('t op1'), 'b.admin', true, 'rq-lock-b', '10.0.0.1')$q$),
    '011002', 'op.one locks B''s admin (returns its municipality)');
SELECT results_eq($$SELECT locked, (SELECT count(*) FROM vrs.session s WHERE s.user_id = 'b.admin' AND s.revoked_at IS NULL)
                      FROM vrs.account WHERE user_id = 'b.admin'$$,
    $$VALUES (true, 0::bigint)$$, 'superuser check: B''s admin is locked and its session revoked');
SELECT is(pg_temp.op($q$SELECT vrs.operator_set_locked(sha256('t op2'), 'b.admin', false, 'rq-unlock-b', '10.0.0.2')$q$),
    '011002', 'op.two unlocks B''s admin');
SELECT is((SELECT locked FROM vrs.account WHERE user_id = 'b.admin'), false, 'superuser check: B''s admin is unlocked');
SELECT is(pg_temp.op($q$SELECT vrs.operator_set_locked(sha256('t op1'), 'op.two', true, 'rq-x-lock-op', '10.0.0.1')$q$),
    'error VRS25: no municipal account or viewer op.two', 'an operator account cannot be locked through the door (VRS25)');
SELECT matches(pg_temp.op($q$SELECT vrs.operator_set_locked(sha256('t op1'), 'no.such.user', true, 'rq-x-lock-none', '10.0.0.1')$q$),
    '^error VRS25: ', 'an unknown account cannot be locked (VRS25)');
SELECT is((SELECT locked FROM vrs.account WHERE user_id = 'op.two'), false, 'superuser check: op.two is not locked');

-- ---------------------------------------------------------------------------------------------
-- Audit: both chains, for every door that acted, and nothing for the refused calls.
-- ---------------------------------------------------------------------------------------------
SELECT set_eq($$
    SELECT municipality_code::text, request_id, actor_id, actor_role, action, target_id, details->>'municipality'
      FROM vrs.audit_event WHERE request_id LIKE 'rq-%'$$,
    $$SELECT c, r, a, 'operator', act, t, m
        FROM (VALUES ('rq-first-a', 'op.one', 'user.create', 'a.admin', '131016'),
                     ('rq-first-b', 'op.two', 'user.create', 'b.admin', '011002'),
                     ('rq-req-admin2', 'op.one', 'account_request.create', 'a.admin2', '131016'),
                     ('rq-appr-admin2', 'op.two', 'user.create', 'a.admin2', '131016'),
                     ('rq-req-reset', 'op.two', 'account_request.create', 'a.staff', '131016'),
                     ('rq-appr-reset', 'op.one', 'user.password.reset', 'a.staff', '131016'),
                     ('rq-req-expired', 'op.one', 'account_request.create', 'b.staff', '011002'),
                     ('rq-lock-b', 'op.one', 'user.lock', 'b.admin', '011002'),
                     ('rq-unlock-b', 'op.two', 'user.unlock', 'b.admin', '011002')) e(r, a, act, t, m),
             LATERAL (VALUES ('000000'), (m)) chain(c)$$,
    'each door that acted wrote its event to the central chain and to the municipality''s chain; refused calls wrote nothing');
SELECT results_eq($$SELECT details->>'requestedBy', details->>'accountRequest' FROM vrs.audit_event
                     WHERE request_id = 'rq-appr-admin2' AND municipality_code = '131016'$$,
    $$SELECT 'op.one', pg_temp.req('admin2')$$,
    'the approval event names the requester and the request');
SELECT is_empty($$SELECT c, v.* FROM unnest(ARRAY['000000', '131016', '011002']) c, vrs.verify_audit_chain(c) v$$,
    'the central chain and both municipalities'' chains verify');

-- ---------------------------------------------------------------------------------------------
-- Nobody but the operator executes the doors; nobody but the owner the internals.
-- ---------------------------------------------------------------------------------------------
SELECT is_empty($$
    SELECT p.oid::regprocedure, r FROM pg_proc p,
           unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_auth', 'vrs_device', 'vrs_app']) r
     WHERE p.pronamespace = 'vrs'::regnamespace
       AND p.proname IN ('create_first_admin', 'request_account', 'approve_account_request', 'operator_set_locked')
       AND has_function_privilege(r, p.oid, 'EXECUTE')$$,
    'vrs_municipal, vrs_municipal_admin, vrs_auth, vrs_device and vrs_app cannot execute the operator doors');
SELECT is_empty($$
    SELECT p.oid::regprocedure, r FROM pg_proc p,
           unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_auth', 'vrs_device', 'vrs_app']) r
     WHERE p.pronamespace = 'vrs'::regnamespace AND p.proname IN ('operator_of', 'audit_operator_action', 'append_audit_event_in')
       AND has_function_privilege(r, p.oid, 'EXECUTE')$$,
    'no caller role can execute operator_of, audit_operator_action or append_audit_event_in');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$SELECT vrs.create_first_admin(sha256('t op1'), 'a.x', '131016', 'x', '$h$x', NULL, NULL)$q$)$t$,
    '42501', 'permission denied for function create_first_admin', 'A''s admin cannot call create_first_admin, even with an operator''s token');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$SELECT vrs.request_account(sha256('t op1'), 'reset_password', NULL, 'a.admin', NULL, NULL, NULL)$q$)$t$,
    '42501', 'permission denied for function request_account', 'staff cannot call request_account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL,
    format($q$SELECT * FROM vrs.approve_account_request(sha256('t op2'), %L, '$h$x', NULL, NULL)$q$, gen_random_uuid()))$t$,
    '42501', 'permission denied for function approve_account_request', 'vrs_auth cannot call approve_account_request');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016',
    $q$SELECT vrs.operator_set_locked(sha256('t op1'), 'a.admin', true, NULL, NULL)$q$)$t$,
    '42501', 'permission denied for function operator_set_locked', 'a tablet cannot call operator_set_locked');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.operator_of(sha256('t op1'))$q$)$t$,
    '42501', 'permission denied for function operator_of', 'the operator cannot call operator_of');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$SELECT vrs.audit_operator_action('131016', 'op.one', 'user.create', 'user', 'x', NULL, NULL, NULL)$q$)$t$,
    '42501', 'permission denied for function audit_operator_action', 'the operator cannot write into a municipality''s chain directly');

-- ---------------------------------------------------------------------------------------------
-- Staff manage nothing; an admin manages its own staff and tablets only.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash) VALUES ('a.staff9', 'staff', '131016', 'x', 'x')$q$)$t$,
    '42501', 'permission denied for table account', 'staff cannot insert an account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$UPDATE vrs.account SET locked = true WHERE user_id = 'a.staff'$q$)$t$,
    '42501', 'permission denied for table account', 'staff cannot update an account');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
    VALUES (sha256('t forged'), 'a.staff', 'staff', '131016', now() + interval '1 hour')$q$)$t$,
    '42501', 'permission denied for table session', 'staff cannot insert a session');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'a.admin'$q$)$t$,
    '42501', 'permission denied for table session', 'staff cannot revoke a session');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.device (municipality_code, label, token_hash, created_by) VALUES ('131016', 'x', sha256('d x'), 'a.staff')$q$)$t$,
    '42501', 'permission denied for table device', 'staff cannot register a tablet');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$UPDATE vrs.device SET revoked_at = now()$q$)$t$,
    '42501', 'permission denied for table device', 'staff cannot revoke a tablet');

SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    UPDATE vrs.account SET locked = true, display_name = '千代田 職員（休職）', password_hash = '$h$by-admin' WHERE user_id = 'a.staff'$q$),
    '1', 'A''s admin locks, renames and resets its own staff');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    UPDATE vrs.account SET locked = true, password_hash = '$h$pwned' WHERE user_id = 'a.admin2'$q$),
    '0', 'A''s admin cannot lock or reset another admin of A (0 rows)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.account SET must_change_password = false$q$),
    '1', 'A''s admin updating every account it can reach (no WHERE) reaches exactly its one staff account');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    UPDATE vrs.account SET locked = true, password_hash = '$h$pwned' WHERE user_id = 'b.staff'$q$),
    '0', 'A''s admin cannot lock or reset B''s staff (0 rows)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash) VALUES ('b.staff9', 'staff', '011002', 'x', 'x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"', 'A''s admin cannot create staff for B (RLS)');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_open_session(sha256('t a.staff 3'), 'a.staff', '$h$by-admin', NULL, '10.0.1.2', 3600)$q$),
    'error VRS21: sign-in refused: no such account, or locked', 'the staff that A''s admin locked cannot sign in');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_open_session(sha256('t a.admin2'), 'a.admin2', '$h$a2', NULL, '10.0.1.2', 3600) IS NOT NULL$q$),
    'true', 'fixture: A''s second admin signs in');
SELECT is(pg_temp.rows_as('vrs_owner', NULL, $q$UPDATE vrs.account SET locked = false WHERE user_id = 'a.staff'$q$),
    '1', 'fixture: the owner unlocks A''s staff');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_open_session(sha256('t a.staff 3'), 'a.staff', '$h$by-admin', NULL, '10.0.1.2', 3600) IS NOT NULL$q$),
    'true', 'A''s staff signs in with the password its admin set');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'a.admin2'$q$),
    '0', 'A''s admin cannot revoke another admin''s session (0 rows)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'b.staff'$q$),
    '0', 'A''s admin cannot revoke B''s staff''s session (0 rows)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.session SET revoked_at = now() WHERE user_id = 'a.staff' AND revoked_at IS NULL$q$),
    '1', 'A''s admin revokes its staff''s live session');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
    VALUES ('aaaaaaaa-0000-4000-8000-0000000000d1', '131016', '千代田 会場1', sha256('d a'), 'a.admin')$q$),
    '1', 'A''s admin registers a tablet for A');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '011002', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
    VALUES ('bbbbbbbb-0000-4000-8000-0000000000d1', '011002', '札幌 会場1', sha256('d b'), 'b.admin')$q$),
    '1', 'fixture: B''s admin registers a tablet for B');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.device (municipality_code, label, token_hash, created_by) VALUES ('011002', '偽', sha256('d forged'), 'a.admin')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "device"', 'A''s admin cannot register a tablet for B (RLS)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.device SET revoked_at = now() WHERE device_id = 'bbbbbbbb-0000-4000-8000-0000000000d1'$q$),
    '0', 'A''s admin cannot revoke B''s tablet (0 rows)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.device SET revoked_at = now()$q$),
    '1', 'A''s admin revoking every tablet it can reach revokes exactly A''s');
SELECT results_eq($$SELECT a.locked, a.password_hash, (SELECT count(*) FROM vrs.session s WHERE s.user_id = a.user_id AND s.revoked_at IS NULL)
                      FROM vrs.account a WHERE a.user_id IN ('a.admin2', 'b.staff') ORDER BY a.user_id$$,
    $$VALUES (false, '$h$a2', 1::bigint), (false, '$h$bs', 1::bigint)$$,
    'superuser check: A''s other admin and B''s staff are untouched, their sessions live');

-- ---------------------------------------------------------------------------------------------
-- Review follow-ups: admins create staff only; new hashes and explicit locks end sessions for every
-- writer; an operator's lock is out of the admin's reach; an expired request frees its user ID;
-- a session carries exactly its account's role and municipality.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash)
    VALUES ('a.admin.self', 'admin', '131016', '自称管理者', '$h$x')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "account"',
    'an admin cannot create another admin (further admins need two operators)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, must_change_password)
    VALUES ('a.extra', 'staff', '131016', '千代田 臨時', '$h$ax', false)$q$), '1', 'fixture: A''s admin creates a.extra');
SELECT is(pg_temp.value_as('vrs_auth', NULL, $q$SELECT vrs.auth_open_session(sha256('t a.extra'), 'a.extra', '$h$ax', NULL, '10.0.2.1', 3600) > now()$q$),
    'true', 'fixture: a.extra signs in');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.account SET password_hash = '$h$ax2', must_change_password = true WHERE user_id = 'a.extra'$q$),
    '1', 'A''s admin resets a.extra with a plain UPDATE');
SELECT is((SELECT count(*) FROM vrs.session WHERE user_id = 'a.extra' AND revoked_at IS NULL), 0::bigint,
    'the new hash ended a.extra''s sessions (trigger account_ends_sessions), no separate statement needed');
SELECT is(pg_temp.op($q$SELECT vrs.operator_set_locked(sha256('t op1'), 'a.extra', true, 'rq-lock-extra', '10.0.0.1')::text$q$),
    '131016', 'op.one locks a.extra');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.account SET locked = false WHERE user_id = 'a.extra'$q$),
    '0', 'A''s admin cannot lift the operator''s lock (0 rows)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.account SET password_hash = '$h$mine' WHERE user_id = 'a.extra'$q$),
    '0', 'A''s admin cannot reset an account an operator locked (0 rows)');
SELECT is(pg_temp.op($q$SELECT vrs.operator_set_locked(sha256('t op1'), 'a.extra', false, 'rq-unlock-extra', '10.0.0.1')::text$q$),
    '131016', 'op.one unlocks a.extra');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.account SET display_name = '千代田 臨時職員' WHERE user_id = 'a.extra'$q$),
    '1', 'after the operator''s unlock, the admin manages a.extra again');
SELECT matches(pg_temp.op($q$SELECT vrs.request_account(sha256('t op1'), 'reset_password', '011002', 'b.staff', NULL, 'rq-req-after-expiry', '10.0.0.1')$q$),
    '^[0-9a-f]{8}-[0-9a-f]{4}-', 'a request that expired unapproved no longer holds its user ID: a new one is filed');
SELECT is((SELECT string_agg(status, ',' ORDER BY requested_at) FROM vrs.account_request WHERE user_id = 'b.staff'),
    'expired,pending', 'superuser check: the old request is marked expired, the new one waits');
SELECT throws_ok($$INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at)
                   VALUES (sha256('t forged scope'), 'a.extra', 'admin', '131016', now() + interval '1 hour')$$,
    'VRS20', NULL, 'a session with a role other than its account''s is refused, even for the superuser');

-- ---------------------------------------------------------------------------------------------
-- Key rows: owner only.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id) VALUES ('131016', 'data', 2, '\x01', 'm')$q$)$t$,
    '42501', 'permission denied for table municipality_key', 'staff cannot insert a municipality_key row');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id) VALUES ('131016', 'index', 2, '\x01', 'm')$q$)$t$,
    '42501', 'permission denied for table municipality_key', 'an admin cannot insert a municipality_key row');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$UPDATE vrs.municipality SET key_version = 2 WHERE code = '131016'$q$)$t$,
    '42501', 'permission denied for table municipality', 'staff cannot update municipality.key_version');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$UPDATE vrs.municipality SET key_version = 2 WHERE code = '131016'$q$)$t$,
    '42501', 'permission denied for table municipality', 'an admin cannot update municipality.key_version');

-- ---------------------------------------------------------------------------------------------
-- Row-level security on every partition.
-- ---------------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relnamespace = 'vrs'::regnamespace AND c.relkind IN ('r', 'p')),
    (SELECT 2 * count(*) + 1 FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid
      WHERE c.relnamespace = 'vrs'::regnamespace AND NOT c.relispartition),
    'every partitioned table has a partition for A and B, plus the central audit partition (the check below is not vacuous)');
SELECT is_empty($$
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relnamespace = 'vrs'::regnamespace AND c.relkind IN ('r', 'p')
       AND NOT (c.relrowsecurity AND c.relforcerowsecurity)$$,
    'every partition of schema vrs has row-level security enabled and forced');

SELECT * FROM finish();
ROLLBACK;
