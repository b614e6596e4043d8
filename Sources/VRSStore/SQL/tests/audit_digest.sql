-- audit_digest.sql: the v2 audit digest, bound chains and chain heads (migration 0005).
--
-- With A = 131016 and B = 011002 provisioned, proves that:
--   * two events that shared a v1 digest (a U+001F moved between target_type and target_id;
--     NULL vs '') have different v2 digests; the v2 digest does not depend on TimeZone;
--   * new events are written as v2 and verify; a chain begun with v1 events (as 0002 wrote them)
--     and continued with v2 events verifies; a v1 event after a v2 event is reported ('digest
--     version went back'); lowering a v2 event's version breaks its hash; the version is 1 or 2;
--   * vrs_municipal and vrs_municipal_admin with no municipality bound cannot append (VRS04), and
--     vrs_device cannot append at all (42501 since 0009); they leave nothing; vrs_operator and
--     vrs_auth unbound append to '000000';
--   * vrs.append_audit_event_in (owner) writes into the chain it names, keeps the caller's
--     binding, refuses a malformed chain (VRS04), and nobody else may run it;
--   * vrs.audit_chain_heads() and vrs.audit_chain_hashes_at() answer vrs_operator and nobody else.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(38);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')$q$), 'true', 'fixture: provision A');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$), 'true', 'fixture: provision B');

-- ---------------------------------------------------------------------------------------------
-- v1 collisions are v2 differences.
-- ---------------------------------------------------------------------------------------------
-- pg_temp.d(version, target_type, target_id): the digest of one event; target_type and target_id
-- are adjacent fields, so v1 let a U+001F move between them.
CREATE FUNCTION pg_temp.d(v int, ttype text, tid text) RETURNS bytea LANGUAGE sql AS $$
    SELECT CASE v WHEN 1 THEN vrs.audit_event_digest('\x00', '131016', 1, '00000000-0000-4000-8000-000000000001',
                        '2026-04-01 09:00:00+09', 'staff-1', 'staff', 'person.read', ttype, tid, 'success', NULL, NULL, '{}')
                  ELSE vrs.audit_event_digest_v2('\x00', '131016', 1, '00000000-0000-4000-8000-000000000001',
                        '2026-04-01 09:00:00+09', 'staff-1', 'staff', 'person.read', ttype, tid, 'success', NULL, NULL, '{}')
           END $$;
SELECT is(pg_temp.d(1, E'a\x1fb', 'c'), pg_temp.d(1, 'a', E'b\x1fc'),
    'v1: target a<US>b / c and target a / b<US>c share a digest (the ambiguity)');
SELECT isnt(pg_temp.d(2, E'a\x1fb', 'c'), pg_temp.d(2, 'a', E'b\x1fc'), 'v2: the two have different digests');
SELECT is(pg_temp.d(1, NULL, 'c'), pg_temp.d(1, '', 'c'), 'v1: target_type NULL and '''' share a digest');
SELECT isnt(pg_temp.d(2, NULL, 'c'), pg_temp.d(2, '', 'c'), 'v2: target_type NULL and '''' differ');
SELECT isnt(pg_temp.d(2, 'ab', NULL), pg_temp.d(2, 'a', 'b'), 'v2: a field''s bytes cannot move into the next one');
SELECT isnt(pg_temp.d(2, 'a', 'c'), pg_temp.d(1, 'a', 'c'), 'v2 differs from v1 for the same event');
SET LOCAL TimeZone = 'Pacific/Chatham';
CREATE TEMP TABLE far AS SELECT pg_temp.d(2, 'x', 'y') AS d;
SET LOCAL TimeZone = 'UTC';
SELECT is((SELECT d FROM far), pg_temp.d(2, 'x', 'y'), 'the v2 digest does not depend on the session TimeZone');

-- ---------------------------------------------------------------------------------------------
-- A chain written by 0002 (v1) continues as v2 and verifies.
-- ---------------------------------------------------------------------------------------------
-- Two v1 events in A's chain as 0002's append wrote them (superuser, triggers and RLS bypassed).
SET LOCAL session_replication_role = replica;
INSERT INTO vrs.audit_event (municipality_code, seq, event_id, occurred_at, actor_id, actor_role, action, outcome,
                             details, digest_version, prev_hash, hash)
SELECT '131016', 1, '00000000-0000-4000-8000-0000000000a1', '2026-03-31 10:00:00+09', 'staff-1', 'staff', 'login', 'success',
       '{}', 1, '\x0000000000000000000000000000000000000000000000000000000000000000',
       vrs.audit_event_digest('\x0000000000000000000000000000000000000000000000000000000000000000', '131016', 1,
           '00000000-0000-4000-8000-0000000000a1', '2026-03-31 10:00:00+09', 'staff-1', 'staff', 'login', NULL, NULL,
           'success', NULL, NULL, '{}');
INSERT INTO vrs.audit_event (municipality_code, seq, event_id, occurred_at, actor_id, actor_role, action, outcome,
                             details, digest_version, prev_hash, hash)
SELECT '131016', 2, '00000000-0000-4000-8000-0000000000a2', '2026-03-31 10:01:00+09', 'staff-1', 'staff', 'person.search',
       'success', '{"hits": 1}', 1, p.hash,
       vrs.audit_event_digest(p.hash, '131016', 2, '00000000-0000-4000-8000-0000000000a2', '2026-03-31 10:01:00+09',
           'staff-1', 'staff', 'person.search', NULL, NULL, 'success', NULL, NULL, '{"hits": 1}')
  FROM vrs.audit_event p WHERE p.municipality_code = '131016' AND p.seq = 1;
INSERT INTO vrs.audit_chain SELECT municipality_code, seq, hash FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 2;
SET LOCAL session_replication_role = origin;
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('131016')$$, 'a chain of v1 events (as 0002 wrote it) verifies');

SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT vrs.append_audit_event('staff-1', 'staff', 'person.read', 'person', 'p-1', 'success', NULL, NULL, '{}')$q$),
    '3', 'A''s chain continues after its v1 events: seq 3');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT vrs.append_audit_event('staff-1', 'staff', 'logout', NULL, NULL, 'success', NULL, NULL, NULL)$q$),
    '4', '... and seq 4');
SELECT results_eq($$SELECT seq, digest_version FROM vrs.audit_event WHERE municipality_code = '131016' ORDER BY seq$$,
    $$VALUES (1::bigint, 1::smallint), (2, 1::smallint), (3, 2::smallint), (4, 2::smallint)$$, 'old events stay v1, new events are v2');
SELECT is((SELECT hash FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 3),
    (SELECT vrs.audit_event_digest_v2(prev_hash, municipality_code, seq, event_id, occurred_at, actor_id, actor_role, action,
            target_type, target_id, outcome, request_id, client_address, details)
       FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 3),
    'a new event''s hash is its v2 digest');
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('131016')$$, 'the mixed chain (v1 then v2) verifies');

CREATE TEMP TABLE a_events AS SELECT * FROM vrs.audit_event WHERE municipality_code = '131016';
SET LOCAL session_replication_role = replica;
UPDATE vrs.audit_event e SET digest_version = 1, hash = vrs.audit_event_digest(e.prev_hash, e.municipality_code, e.seq,
        e.event_id, e.occurred_at, e.actor_id, e.actor_role, e.action, e.target_type, e.target_id, e.outcome,
        e.request_id, e.client_address, e.details)
 WHERE municipality_code = '131016' AND seq = 4;
UPDATE vrs.audit_chain c SET last_hash = e.hash FROM vrs.audit_event e
 WHERE c.municipality_code = '131016' AND e.municipality_code = '131016' AND e.seq = 4;
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT seq, problem FROM vrs.verify_audit_chain('131016')$$,
    $$VALUES (4::bigint, 'digest version went back')$$, 'a v1 event after a v2 event is reported: seq 4');
SET LOCAL session_replication_role = replica;
UPDATE vrs.audit_event SET digest_version = 1 WHERE municipality_code = '131016' AND seq = 3;
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT seq, problem FROM vrs.verify_audit_chain('131016')$$,
    $$VALUES (3::bigint, 'hash mismatch')$$, 'lowering a v2 event''s version alone breaks its hash: seq 3');
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$UPDATE vrs.audit_event_p131016 SET digest_version = 3$$, '23514', NULL,
    'digest_version is 1 or 2 (CHECK), even with the triggers bypassed');
SET LOCAL session_replication_role = origin;

-- ---------------------------------------------------------------------------------------------
-- No municipal event without a municipality, and no device event at all (0009).
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '',
    $q$SELECT vrs.append_audit_event('staff-1', 'staff', 'login', NULL, NULL, 'success', NULL, NULL, '{}')$q$)$t$,
    'VRS04', NULL, 'vrs_municipal with no municipality bound cannot append (VRS04)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '',
    $q$SELECT vrs.append_audit_event('dev-1', 'device', 'vaccination.submit', NULL, NULL, 'success', NULL, NULL, '{}')$q$)$t$,
    '42501', 'permission denied for function append_audit_event',
    'vrs_device cannot append at all (42501: 0009 took its EXECUTE on append_audit_event; its dose door audits itself), bound or not');
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vrs_municipal_admin') THEN
        CREATE ROLE vrs_municipal_admin NOLOGIN IN ROLE vrs_municipal;   -- rolled back with the test
    END IF;
END $$;
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '',
    $q$SELECT vrs.append_audit_event('admin-1', 'admin', 'user.create', NULL, NULL, 'success', NULL, NULL, '{}')$q$)$t$,
    'VRS04', NULL, 'vrs_municipal_admin with no municipality bound cannot append (VRS04)');
SELECT is((SELECT count(*) FROM vrs.audit_event WHERE municipality_code = '000000'), 0::bigint,
    '... none of them reached the central chain');
SELECT is(pg_temp.value_as('vrs_operator', '',
    $q$SELECT vrs.append_audit_event('op-1', 'operator', 'municipality.list', NULL, NULL, 'success', NULL, NULL, '{}')$q$),
    '1', 'vrs_operator with no municipality bound appends to the central chain: seq 1');
SELECT is(pg_temp.value_as('vrs_auth', '',
    $q$SELECT vrs.append_audit_event(NULL, 'anonymous', 'session.create', 'account', 'nobody', 'failure', NULL, NULL, '{}')$q$),
    '2', 'vrs_auth with no municipality bound appends to the central chain: seq 2');
SELECT is((SELECT string_agg(digest_version::text, ',' ORDER BY seq) FROM vrs.audit_event WHERE municipality_code = '000000'),
    '2,2', 'the central chain is v2');

-- ---------------------------------------------------------------------------------------------
-- Appending into a named chain (owner) and reading the heads (operator).
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_owner', '',
    $q$SELECT vrs.append_audit_event_in('011002', 'op-1', 'operator', 'account.lock', 'account', 'b.admin', 'success', NULL, NULL, NULL)
           || '/' || coalesce(vrs.current_municipality()::text, 'none')$q$),
    '1/none', 'the owner appends into B''s chain with nothing bound, and nothing stays bound');
SELECT is(pg_temp.value_as('vrs_owner', '131016',
    $q$SELECT vrs.append_audit_event_in('000000', 'op-1', 'operator', 'account.lock', 'account', 'a.admin', 'success', NULL, NULL, NULL)
           || '/' || vrs.current_municipality()$q$),
    '3/131016', 'the owner appends into the central chain with A bound, and A stays bound');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_owner', NULL,
    $q$SELECT vrs.append_audit_event_in('13101', 'op-1', 'operator', 'x', NULL, NULL, 'success', NULL, NULL, NULL)$q$)$t$,
    'VRS04', NULL, 'append_audit_event_in refuses a malformed chain (VRS04)');
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('011002') UNION ALL SELECT * FROM vrs.verify_audit_chain('000000')$$,
    'the chains written through append_audit_event_in verify');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT vrs.append_audit_event_in('131016', 'x', 'staff', 'x', NULL, NULL, 'success', NULL, NULL, NULL)$q$),
    'error 42501: permission denied for function append_audit_event_in', 'vrs_municipal cannot run append_audit_event_in');
SELECT is(pg_temp.value_as('vrs_device', '131016',
    $q$SELECT vrs.append_audit_event_in('131016', 'x', 'device', 'x', NULL, NULL, 'success', NULL, NULL, NULL)$q$)
    || ' | ' || pg_temp.value_as('vrs_auth', NULL,
    $q$SELECT vrs.append_audit_event_in('000000', 'x', 'x', 'x', NULL, NULL, 'success', NULL, NULL, NULL)$q$)
    || ' | ' || pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.append_audit_event_in('000000', 'x', 'x', 'x', NULL, NULL, 'success', NULL, NULL, NULL)$q$),
    'error 42501: permission denied for function append_audit_event_in | error 42501: permission denied for function append_audit_event_in | error 42501: permission denied for function append_audit_event_in',
    'vrs_device, vrs_auth and vrs_operator cannot run append_audit_event_in');

SELECT is(pg_temp.value_as('vrs_operator', NULL, 'SELECT count(*) FROM vrs.audit_chain'),
    'error 42501: permission denied for table audit_chain', 'the operator cannot read audit_chain itself');
SELECT results_eq($$SELECT municipality_code::text, last_seq FROM vrs.audit_chain ORDER BY 1$$,
    $$VALUES ('000000', 3::bigint), ('011002', 1::bigint), ('131016', 4::bigint)$$,
    'fixture: the heads are 000000:3, 011002:1, 131016:4');
CREATE TEMP TABLE op_heads (municipality_code text, last_seq bigint, last_hash bytea);
GRANT INSERT ON op_heads TO vrs_operator;
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$WITH h AS (INSERT INTO op_heads SELECT * FROM vrs.audit_chain_heads() RETURNING 1) SELECT count(*) FROM h$q$),
    '3', 'vrs_operator reads the three chain heads');
SELECT set_eq($$SELECT * FROM op_heads$$, $$SELECT municipality_code::text, last_seq, last_hash FROM vrs.audit_chain$$,
    '... exactly as audit_chain holds them');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', 'SELECT count(*) FROM vrs.audit_chain_heads()')
    || ' | ' || pg_temp.value_as('vrs_device', '131016', 'SELECT count(*) FROM vrs.audit_chain_heads()')
    || ' | ' || pg_temp.value_as('vrs_auth', NULL, 'SELECT count(*) FROM vrs.audit_chain_heads()'),
    'error 42501: permission denied for function audit_chain_heads | error 42501: permission denied for function audit_chain_heads | error 42501: permission denied for function audit_chain_heads',
    'vrs_municipal, vrs_device and vrs_auth cannot run audit_chain_heads');

SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT string_agg(municipality_code || ':' || seq || ':' || encode(hash, 'hex'), ',' ORDER BY municipality_code)
         FROM vrs.audit_chain_hashes_at(ARRAY['131016', '011002', '131016']::char(6)[], ARRAY[2, 1, 9]::bigint[])$q$),
    (SELECT string_agg(municipality_code || ':' || seq || ':' || encode(hash, 'hex'), ',' ORDER BY municipality_code)
       FROM vrs.audit_event WHERE (municipality_code, seq) IN (('131016', 2), ('011002', 1))),
    'vrs_operator reads the hashes of named events of any chain (none for an event that does not exist)');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$SELECT count(*) FROM vrs.audit_chain_hashes_at(ARRAY['131016']::char(6)[], ARRAY[1]::bigint[])$q$)
    || ' | ' || pg_temp.value_as('vrs_auth', NULL, $q$SELECT count(*) FROM vrs.audit_chain_hashes_at(ARRAY['131016']::char(6)[], ARRAY[1]::bigint[])$q$),
    'error 42501: permission denied for function audit_chain_hashes_at | error 42501: permission denied for function audit_chain_hashes_at',
    'vrs_municipal and vrs_auth cannot run audit_chain_hashes_at');

SELECT * FROM finish();
ROLLBACK;
