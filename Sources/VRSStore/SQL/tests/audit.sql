-- audit.sql: the append-only, hash-chained audit log.
--
-- With A = 131016 and B = 011002 provisioned, proves that:
--   * append_audit_event as vrs_municipal bound to A appends to A's chain with seq 1, 2, 3; the
--     chain is taken from the bound tenant; a device cannot append at all, even bound to A (0009:
--     its dose door audits itself), and A's chain continues at 4 after it; the operator (no
--     tenant) writes the central chain '000000'; B's chain starts at 1 independently;
--   * the hashes are linked (genesis = 32 zero bytes, prev_hash = previous hash) and equal an
--     independent recomputation of the documented canonical form (v2 since 0005; v1 and the
--     version change are proven in audit_digest.sql); the digest does not depend on the session
--     TimeZone; the chain head points at the last event;
--   * appending for an unprovisioned municipality fails and leaves no chain head;
--   * callers cannot INSERT/UPDATE directly; UPDATE, DELETE, TRUNCATE raise VRS03 for the
--     superuser, and for the owner on the partitions too (owner on the parent: no policy, 0 rows);
--   * verify_audit_chain returns no row for intact chains, and after a superuser tampers with the
--     log (session_replication_role = replica) it returns the first broken event: a changed field
--     (hash mismatch at that seq), a consistently re-hashed change (prev_hash mismatch at the next
--     seq), a removed event (seq gap), a removed tail (chain head mismatch);
--   * B cannot see A's events; the operator sees only the central chain; a device sees nothing;
--     only the owner can run verify_audit_chain / audit_chains.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(53);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')$q$), 'true', 'fixture: provision A');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$), 'true', 'fixture: provision B');

-- ---------------------------------------------------------------------------------------------
-- Appending.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT vrs.append_audit_event('staff-1', 'staff', 'login', NULL, NULL, 'success', 'req-1', '10.0.0.1', '{}')$q$),
    '1', 'A appends its first event: seq 1');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT vrs.append_audit_event('staff-1', 'staff', 'person.search', 'person', NULL, 'success', 'req-2', '10.0.0.1', '{"by": "addressNumber", "hits": 1}')$q$),
    '2', 'A appends its second event: seq 2');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT vrs.append_audit_event('staff-2', 'admin', 'person.read', 'person', 'aaaaaaaa-0000-4000-8000-000000000001', 'denied', NULL, NULL, '{"reason": "テスト\u001f区切り"}')$q$),
    '3', 'A appends its third event: seq 3');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016',
    $q$SELECT vrs.append_audit_event('device-9', 'device', 'vaccination.submit', 'coupon', NULL, 'failure', 'req-4', '192.0.2.7', NULL)$q$)$t$,
    '42501', 'permission denied for function append_audit_event',
    'a device cannot append audit events, even bound to A (0009: its dose door audits itself)');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT vrs.append_audit_event('device-9', 'device', 'vaccination.submit', 'coupon', NULL, 'failure', 'req-4', '192.0.2.7', NULL)$q$),
    '4', 'A''s chain continues after the refused device call: seq 4 (no seq consumed)');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.append_audit_event('op-1', 'operator', 'municipality.provision', 'municipality', '131016', 'success', 'req-5', '10.9.9.9', '{}')$q$),
    '1', 'the operator (no tenant bound) starts the central chain: seq 1');
SELECT is(pg_temp.value_as('vrs_municipal', '011002',
    $q$SELECT vrs.append_audit_event('staff-b', 'staff', 'login', NULL, NULL, 'success', NULL, NULL, '{}')$q$),
    '1', 'B''s chain is independent: seq 1');

SELECT results_eq($$SELECT municipality_code::text, seq, actor_id, action FROM vrs.audit_event ORDER BY 1, 2$$,
    $$VALUES ('000000', 1::bigint, 'op-1', 'municipality.provision'),
             ('011002', 1::bigint, 'staff-b', 'login'),
             ('131016', 1::bigint, 'staff-1', 'login'), ('131016', 2::bigint, 'staff-1', 'person.search'),
             ('131016', 3::bigint, 'staff-2', 'person.read'), ('131016', 4::bigint, 'device-9', 'vaccination.submit')$$,
    'each event landed in the chain of the bound tenant (central when none)');

SELECT is((SELECT prev_hash FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 1),
    '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea, 'genesis: seq 1 has prev_hash = 32 zero bytes');
SELECT is_empty($$
    SELECT e.seq FROM vrs.audit_event e
      JOIN vrs.audit_event p ON p.municipality_code = e.municipality_code AND p.seq = e.seq - 1
     WHERE e.municipality_code = '131016' AND e.prev_hash IS DISTINCT FROM p.hash$$,
    'A''s events are linked: prev_hash = hash of the previous event');
SELECT is((SELECT count(DISTINCT hash) FROM vrs.audit_event WHERE municipality_code = '131016'), 4::bigint,
    'A''s four hashes are distinct');
-- Independent recomputation of the documented v2 form (0005; not via vrs.audit_event_digest_v2):
-- each field as <octet length>:<UTF-8 bytes>, NULL as '-', after the version '2'.
CREATE FUNCTION pg_temp.enc(v text) RETURNS bytea LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(convert_to(octet_length(convert_to(v, 'UTF8')) || ':' || v, 'UTF8'), '\x2d') $$;
SELECT is_empty($$
    SELECT seq FROM vrs.audit_event e
     WHERE e.municipality_code = '131016'
       AND e.hash IS DISTINCT FROM sha256(e.prev_hash || pg_temp.enc('2') || pg_temp.enc(e.municipality_code::text)
             || pg_temp.enc(e.seq::text) || pg_temp.enc(e.event_id::text)
             || pg_temp.enc(to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
             || pg_temp.enc(e.actor_id) || pg_temp.enc(e.actor_role) || pg_temp.enc(e.action)
             || pg_temp.enc(e.target_type) || pg_temp.enc(e.target_id) || pg_temp.enc(e.outcome)
             || pg_temp.enc(e.request_id) || pg_temp.enc(e.client_address) || pg_temp.enc(e.details::text))$$,
    'every hash of A equals sha256(prev_hash || length-prefixed v2 fields) recomputed independently');
SELECT results_eq($$SELECT last_seq, last_hash FROM vrs.audit_chain WHERE municipality_code = '131016'$$,
    $$SELECT seq, hash FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 4$$,
    'A''s chain head points at its last event');
SET LOCAL TimeZone = 'Pacific/Chatham';
CREATE TEMP TABLE digest_far AS
SELECT vrs.audit_event_digest_v2(prev_hash, municipality_code, seq, event_id, occurred_at, actor_id, actor_role, action,
                              target_type, target_id, outcome, request_id, client_address, details) AS d
  FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 2;
SET LOCAL TimeZone = 'UTC';
SELECT is((SELECT d FROM digest_far),
    (SELECT hash FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 2),
    'the digest does not depend on the session TimeZone');

SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131041',
    $q$SELECT vrs.append_audit_event('x', 'staff', 'login', NULL, NULL, 'success', NULL, NULL, '{}')$q$)$t$,
    '23514', NULL, 'appending for an unprovisioned municipality (131041) fails: no partition');
SELECT is((SELECT count(*) FROM vrs.audit_chain WHERE municipality_code = '131041'), 0::bigint,
    '... and leaves no chain head for it');

-- ---------------------------------------------------------------------------------------------
-- Only the function writes; nobody rewrites.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.audit_event (municipality_code, seq, actor_role, action, outcome, prev_hash, hash)
    VALUES ('131016', 5, 'staff', 'forged', 'success', '\x00', '\x00')$q$)$t$,
    '42501', 'permission denied for table audit_event', 'vrs_municipal cannot INSERT into audit_event directly');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$
    INSERT INTO vrs.audit_event (municipality_code, seq, actor_role, action, outcome, prev_hash, hash)
    VALUES ('000000', 2, 'operator', 'forged', 'success', '\x00', '\x00')$q$)$t$,
    '42501', 'permission denied for table audit_event', 'vrs_operator cannot INSERT into audit_event directly');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.audit_event SET actor_id = 'nobody' WHERE municipality_code = '131016'$q$)$t$,
    '42501', 'permission denied for table audit_event', 'vrs_municipal cannot UPDATE audit_event');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.audit_chain SET last_seq = 0$q$)$t$,
    '42501', 'permission denied for table audit_chain', 'vrs_municipal cannot touch the chain heads');

SELECT throws_ok($$UPDATE vrs.audit_event SET actor_id = 'nobody' WHERE municipality_code = '131016' AND seq = 2$$,
    'VRS03', NULL, 'UPDATE of an event raises VRS03, even as superuser');
SELECT throws_ok($$DELETE FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 4$$,
    'VRS03', NULL, 'DELETE of an event raises VRS03, even as superuser');
SELECT throws_ok($$TRUNCATE vrs.audit_event$$,
    'VRS03', NULL, 'TRUNCATE of audit_event raises VRS03, even as superuser');
SELECT throws_ok($$TRUNCATE vrs.audit_event_p131016$$,
    'VRS03', NULL, 'TRUNCATE of a municipality''s audit partition raises VRS03, even as superuser');
SELECT throws_ok($$TRUNCATE vrs.audit_event_p000000$$,
    'VRS03', NULL, 'TRUNCATE of the central audit partition raises VRS03, even as superuser');
-- Since 0006 the partitions have RLS forced too, so the owner naming a partition reaches no row;
-- the superuser (who bypasses RLS) still meets the append-only trigger.
SELECT is(pg_temp.rows_as('vrs_owner', NULL,
    $q$UPDATE vrs.audit_event_p131016 SET actor_id = 'nobody'$q$), '0',
    'the owner updating an audit partition directly reaches no row (RLS forced on the partition)');
SELECT throws_ok($$UPDATE vrs.audit_event_p131016 SET actor_id = 'nobody'$$,
    'VRS03', NULL, 'the superuser updating an audit partition directly raises VRS03');
SELECT is(pg_temp.rows_as('vrs_owner', NULL,
    $q$DELETE FROM vrs.audit_event_p000000$q$), '0',
    'the owner deleting from the central audit partition directly reaches no row');
SELECT throws_ok($$DELETE FROM vrs.audit_event_p000000$$,
    'VRS03', NULL, 'the superuser deleting from the central audit partition directly raises VRS03');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_owner', NULL, 'TRUNCATE vrs.audit_event')$t$,
    'VRS03', NULL, 'the owner truncating audit_event raises VRS03');
SELECT is(pg_temp.rows_as('vrs_owner', '131016',
    $q$DELETE FROM vrs.audit_event WHERE municipality_code = '131016'$q$), '0',
    'the owner deleting through the parent reaches no row (no DELETE policy)');
SELECT is((SELECT count(*) FROM vrs.audit_event), 6::bigint, 'superuser check: all six events are still there');

-- ---------------------------------------------------------------------------------------------
-- Verification.
-- ---------------------------------------------------------------------------------------------
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('131016')$$, 'A''s intact chain verifies (no row)');
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('000000')$$, 'the intact central chain verifies');
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('131041')$$, 'an empty chain verifies');
SELECT set_eq($$SELECT c::text FROM vrs.audit_chains() c$$, $$VALUES ('000000'), ('011002'), ('131016')$$,
    'audit_chains() lists the central chain and both municipalities');

CREATE TEMP TABLE a_events AS SELECT * FROM vrs.audit_event WHERE municipality_code = '131016';
SET LOCAL session_replication_role = replica;   -- a superuser bypassing the triggers
UPDATE vrs.audit_event SET actor_id = 'someone-else' WHERE municipality_code = '131016' AND seq = 2;
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT seq, event_id, problem FROM vrs.verify_audit_chain('131016')$$,
    $$SELECT seq, event_id, 'hash mismatch' FROM a_events WHERE seq = 2$$,
    'a changed field is reported at its event: seq 2, hash mismatch');

SET LOCAL session_replication_role = replica;
UPDATE vrs.audit_event e SET hash = vrs.audit_event_digest_v2(e.prev_hash, e.municipality_code, e.seq, e.event_id,
        e.occurred_at, e.actor_id, e.actor_role, e.action, e.target_type, e.target_id, e.outcome, e.request_id,
        e.client_address, e.details)
 WHERE municipality_code = '131016' AND seq = 2;
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT seq, event_id, problem FROM vrs.verify_audit_chain('131016')$$,
    $$SELECT seq, event_id, 'prev_hash mismatch' FROM a_events WHERE seq = 3$$,
    'a consistently re-hashed change breaks the link: seq 3, prev_hash mismatch');

SET LOCAL session_replication_role = replica;
DELETE FROM vrs.audit_event WHERE municipality_code = '131016';
INSERT INTO vrs.audit_event SELECT * FROM a_events;
SET LOCAL session_replication_role = origin;
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('131016')$$, 'restored from the copy, A''s chain verifies again');

SET LOCAL session_replication_role = replica;
DELETE FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 2;
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT seq, event_id, problem FROM vrs.verify_audit_chain('131016')$$,
    $$SELECT seq, event_id, 'seq gap: expected 2' FROM a_events WHERE seq = 3$$,
    'a removed event is reported at the next one: seq 3, seq gap');

SET LOCAL session_replication_role = replica;
INSERT INTO vrs.audit_event SELECT * FROM a_events WHERE seq = 2;
DELETE FROM vrs.audit_event WHERE municipality_code = '131016' AND seq = 4;
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT seq, event_id, problem FROM vrs.verify_audit_chain('131016')$$,
    $$VALUES (4::bigint, NULL::uuid, 'chain head mismatch')$$,
    'a removed tail is reported by the chain head: seq 4, chain head mismatch');
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('000000')$$, 'tampering with A did not affect the central chain');

-- ---------------------------------------------------------------------------------------------
-- Who reads what.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.rows_as('vrs_municipal', '011002',
    $q$SELECT * FROM vrs.audit_event WHERE municipality_code = '131016'$q$), '0',
    'B cannot see A''s events');
SELECT is(pg_temp.value_as('vrs_municipal', '011002',
    $q$SELECT string_agg(municipality_code || ':' || seq, ',' ORDER BY municipality_code, seq) FROM vrs.audit_event$q$),
    '011002:1', 'B sees exactly its own event');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT string_agg(municipality_code || ':' || seq, ',' ORDER BY municipality_code, seq) FROM vrs.audit_event$q$),
    '131016:1,131016:2,131016:3', 'A sees exactly its own (remaining) events');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT string_agg(municipality_code || ':' || seq, ',' ORDER BY municipality_code, seq) FROM vrs.audit_event$q$),
    '000000:1', 'the operator sees only the central chain');
SELECT is(pg_temp.rows_as('vrs_operator', '131016',
    $q$SELECT * FROM vrs.audit_event WHERE municipality_code = '131016'$q$), '0',
    'the operator cannot see A''s events, even with A bound');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016', 'SELECT * FROM vrs.audit_event')$t$,
    '42501', 'permission denied for table audit_event', 'a device cannot read audit events');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$SELECT * FROM vrs.verify_audit_chain('131016')$q$)$t$,
    '42501', 'permission denied for function verify_audit_chain', 'vrs_municipal cannot run verify_audit_chain');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT * FROM vrs.verify_audit_chain('000000')$q$)$t$,
    '42501', 'permission denied for function verify_audit_chain', 'vrs_operator cannot run verify_audit_chain');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, 'SELECT * FROM vrs.audit_chains()')$t$,
    '42501', 'permission denied for function audit_chains', 'vrs_operator cannot run audit_chains');

SELECT * FROM finish();
ROLLBACK;
