-- corrections.sql: the corrections of 0012 and the history nobody can lose, proven at the database.
--
-- Fixtures: A = 131016 (千代田区) and B = 011002 (札幌市) are provisioned; A's staff registers four
-- persons with coupons, B's staff one person with coupon 1000000009 (the number A's tablet will
-- misread as A's), B's admin a tablet. Then this file proves that:
--   * privileges: the five doors are executable by vrs_municipal (and its admins) only; the helpers
--     and the trace function by nobody; nobody may write or delete vrs.record_change (not even its
--     owner: VRS03), staff read only their own municipality's history; staff cannot UPDATE or DELETE
--     a dose directly;
--   * the trace: an UPDATE of a person writes one row (old and new values of exactly the changed
--     columns, action, reason, actor) and raises the version; an UPDATE that changes nothing, or
--     only re-encrypts under a new key version, writes none and keeps the version; a client-set
--     version is put back; a changed number under the same key shows as "masked", never the bytes;
--   * void: state voided, version + 1, the history row and the audit event (no reason in it);
--     stale version VRS40 changes nothing; again VRS42; another municipality's dose VRS41; blank
--     or too long reason VRS43; after it the tablet door no longer counts the voided dose
--     (dose_mismatch gone) and does not answer duplicate for its coupon and dose;
--   * amend: the fields named change, the others stay; VRS30, VRS31, VRS34, nothing to amend VRS43;
--   * move within A: to another coupon (both persons in the history row), onto a person (their
--     active coupon); same place VRS45; unknown coupon VRS44; target holding that dose VRS46;
--   * hand-over A → B: A's row moved with moved_to_*, B's new row recorded for B's person with
--     received_from_code, B's history (vaccination.receive) and both audit chains; the caller's
--     tenant setting is A again afterwards; A cannot see B's row; repeated: VRS42;
--   * merge: coupons and doses move to the kept person, the duplicate is a tombstone, history and
--     audit; again VRS42; into itself VRS45; into an unknown person VRS44; stale VRS40;
--   * both audit chains still verify.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(65);

\ir _helpers.psql

-- 'SQLSTATE: message' of a statement run as a role, or 'no error'.
CREATE FUNCTION pg_temp.error_as(p_role text, p_code text, p_sql text) RETURNS text
    LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_temp.exec_as(p_role, p_code, p_sql);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$fn$;
-- The SQLSTATE alone.
CREATE FUNCTION pg_temp.state_as(p_role text, p_code text, p_sql text) RETURNS text
    LANGUAGE sql AS $fn$ SELECT split_part(pg_temp.error_as(p_role, p_code, p_sql), ':', 1) $fn$;
-- A tablet of B sending a dose: 'result|flags'.
CREATE FUNCTION pg_temp.tablet(p_code text, p_on date) RETURNS text
    LANGUAGE sql AS $fn$
    SELECT pg_temp.value_as('vrs_device', '011002', format(
        $q$SELECT result || '|' || flags::text FROM vrs.tablet_record_vaccination(sha256('token-b'::bytea), %L, %L::date,
               'pfizer-comirnaty', 'FA1234', '会場', '医師', NULL, 'req-t')$q$, p_code, p_on))
$fn$;
CREATE FUNCTION pg_temp.dose_of(p_coupon text, p_dose int) RETURNS uuid
    LANGUAGE sql AS $fn$
    SELECT vaccination_id FROM vrs.vaccination WHERE coupon_number = p_coupon AND dose = p_dose AND state = 'recorded'
     ORDER BY recorded_at LIMIT 1
$fn$;

-- ---------------------------------------------------------------------------------------------
-- Fixtures.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')
          AND vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$), 'true', 'fixture: provision A and B');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index,
        key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-000000000001', 'A-0001', '\xa1', sha256('A-0001'), 1, '千代田', '一郎', 'チヨダ', 'イチロウ', '1950-04-01', 'M'),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000002', 'A-0002', '\xa2', sha256('A-0002'), 1, '千代田', '二郎', 'チヨダ', 'ジロウ', '1951-04-01', 'M'),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000003', 'A-0003', '\xa3', sha256('A-0003'), 1, '千代田', '三子', 'チヨダ', 'ミツコ', '1952-04-01', 'F'),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000004', 'A-0004', '\xa4', sha256('A-0004'), 1, '千代田', '三子', 'チヨダ', 'ミツコ', '1952-04-01', 'F')$q$),
    '4', 'fixture: A registers four persons (3 and 4 are the same woman, registered twice)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.coupon (municipality_code, coupon_id, person_id, coupon_number, kind)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c1', 'aaaaaaaa-0000-4000-8000-000000000001', '1000000001', 1),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c2', 'aaaaaaaa-0000-4000-8000-000000000002', '1000000002', 1),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c3', 'aaaaaaaa-0000-4000-8000-000000000003', '1000000003', 1),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c4', 'aaaaaaaa-0000-4000-8000-000000000004', '1000000004', 1)$q$),
    '4', 'fixture: A issues their coupons');
SELECT is(pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index,
        key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-000000000009', 'B-0009', '\xb9', sha256('B-0009'), 1, '札幌', '九郎', 'サッポロ', 'クロウ', '1955-04-01', 'M')$q$)
    || pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.coupon (municipality_code, coupon_id, person_id, coupon_number, kind)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-0000000000c9', 'bbbbbbbb-0000-4000-8000-000000000009', '1000000009', 1)$q$)
    || pg_temp.rows_as('vrs_municipal_admin', '011002', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
    VALUES ('bbbbbbbb-0000-4000-8000-0000000000d1', '011002', '札幌会場1', sha256('token-b'::bytea), 'b.admin')$q$),
    '111', 'fixture: B registers a person with coupon 1000000009, and a tablet');

-- ---------------------------------------------------------------------------------------------
-- Privileges.
-- ---------------------------------------------------------------------------------------------
SELECT set_eq($$
    SELECT p.proname::text || '|' || r FROM pg_proc p, unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator',
                                                                  'vrs_device', 'vrs_auth', 'vrs_app']) r
     WHERE p.pronamespace = 'vrs'::regnamespace
       AND p.proname IN ('void_vaccination', 'amend_vaccination', 'move_vaccination', 'hand_over_vaccination', 'merge_person')
       AND has_function_privilege(r, p.oid, 'EXECUTE')$$,
    $$SELECT d || '|' || r FROM unnest(ARRAY['void_vaccination', 'amend_vaccination', 'move_vaccination',
                                             'hand_over_vaccination', 'merge_person']) d,
                                unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin']) r$$,
    'the five correction doors are executable by staff and admins, and by no other role');
SELECT is_empty($$
    SELECT p.proname || '|' || r FROM pg_proc p, unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator',
                                                             'vrs_device', 'vrs_auth', 'vrs_app']) r
     WHERE p.pronamespace = 'vrs'::regnamespace
       AND p.proname IN ('review_flags', 'correction_begin', 'correction_end', 'correction_dose', 'trace_record_change',
                         'record_change_refuse', 'check_dose_fields')
       AND has_function_privilege(r, p.oid, 'EXECUTE')$$,
    'the helpers and the trace function are executable by no caller role');
SELECT is_empty($$
    SELECT r || '|' || x FROM unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth',
                                          'vrs_app']) r, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) x
     WHERE has_table_privilege(r, 'vrs.record_change', x)$$,
    'no caller role may insert, update, delete or truncate the history');
SELECT is(pg_temp.state_as('vrs_municipal', '131016',
    $q$INSERT INTO vrs.record_change (municipality_code, record_type, record_id, action) VALUES ('131016', 'person', gen_random_uuid(), 'person.forged')$q$),
    '42501', 'staff cannot write a history row of their own');
SELECT is(pg_temp.state_as('vrs_municipal', '131016',
    $q$UPDATE vrs.vaccination SET lot_number = 'X' WHERE municipality_code = '131016'$q$), '42501',
    'staff cannot update a dose directly: corrections go through the doors');
SELECT is(pg_temp.state_as('vrs_municipal', '131016',
    $q$DELETE FROM vrs.vaccination WHERE municipality_code = '131016'$q$), '42501', 'staff cannot delete a dose');
SELECT is(pg_temp.state_as('vrs_operator', NULL,
    $q$SELECT vrs.void_vaccination(gen_random_uuid(), 1, 'x', 'op', 'r')$q$), '42501', 'the operator cannot void a dose');

-- ---------------------------------------------------------------------------------------------
-- The trace itself.
-- ---------------------------------------------------------------------------------------------
-- Who acts, bound as the server binds it for each request.
DO $$ BEGIN
    PERFORM set_config('vrs.actor_id', 'a.staff', true), set_config('vrs.actor_role', 'staff', true),
            set_config('vrs.request_id', 'req-1', true);
END $$;
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.person SET family_name = '神田', version = 99 WHERE municipality_code = '131016' AND address_number = 'A-0001'$q$), '1',
    'staff rename person 1 (and try to set the version)');
SELECT results_eq($$
    SELECT action, actor_id, actor_role, request_id, old_values::text, new_values::text, person_ids::text
      FROM vrs.record_change WHERE record_id = 'aaaaaaaa-0000-4000-8000-000000000001'$$,
    $$VALUES ('person.update', 'a.staff', 'staff', 'req-1', '{"family_name": "千代田"}', '{"family_name": "神田"}',
              '{aaaaaaaa-0000-4000-8000-000000000001}')$$,
    'the rename left one history row: the changed column only, old and new, who and for which request');
SELECT is((SELECT version FROM vrs.person WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000001'), 2,
    'the version went up by one, whatever the client wrote into it');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.person SET family_name = '神田', updated_at = now() WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000001'$q$), '1',
    'staff write the same name again');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.person SET individual_number_cipher = '\xa111', individual_number_index = sha256('re-keyed'), key_version = 2
        WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000002'$q$), '1',
    'person 2 is re-encrypted under key version 2 (as a rotation does)');
SELECT is((SELECT count(*)::int FROM vrs.record_change), 1, 'neither an unchanged write nor a re-encryption is a change: still one row');
SELECT is((SELECT array_agg(version ORDER BY address_number) FROM vrs.person WHERE municipality_code = '131016'), ARRAY[2, 1, 1, 1],
    'and neither raised a version');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.person SET individual_number_index = sha256('another number') WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000003'$q$), '1',
    'person 3''s number changes under the same key version (an import with a corrected number)');
SELECT is((SELECT new_values::text FROM vrs.record_change WHERE record_id = 'aaaaaaaa-0000-4000-8000-000000000003'),
    '{"personalNumber": "masked"}', 'a changed number is in the history as "masked", never its cipher or index');
SELECT is(pg_temp.value_as('vrs_municipal', '011002', 'SELECT count(*) FROM vrs.record_change'), '0',
    'B''s staff see none of A''s history');
SELECT throws_ok($$DELETE FROM vrs.record_change$$, 'VRS03', NULL, 'even the superuser cannot delete history rows (trigger)');
SELECT throws_ok($$UPDATE vrs.record_change SET reason = 'rewritten'$$, 'VRS03', NULL, 'nor rewrite them');
SELECT throws_ok($$TRUNCATE vrs.record_change_p131016$$, 'VRS03', NULL, 'nor truncate a municipality''s partition');

-- ---------------------------------------------------------------------------------------------
-- Void, and what the tablet door makes of it.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.tablet('1213101610000000' || '01', '2024-06-01'), 'recorded|{dose_mismatch}',
    'a misread dose digit: a "second" dose for person 1, who has none, is flagged dose_mismatch');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.void_vaccination(%L, 7, '読み取り誤り', 'a.staff', 'req-2')$q$, pg_temp.dose_of('1000000001', 2))),
    'VRS40', 'a void naming a version the dose is not at: VRS40');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.void_vaccination(%L, 1, E' \u3000', 'a.staff', 'req-2')$q$, pg_temp.dose_of('1000000001', 2))),
    'VRS43', 'a void without a reason (blanks only): VRS43');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.void_vaccination(%L, 1, repeat('理', 501), 'a.staff', 'req-2')$q$, pg_temp.dose_of('1000000001', 2))),
    'VRS43', 'a reason of 501 characters: VRS43');
SELECT is(pg_temp.state_as('vrs_municipal', '011002', format(
    $q$SELECT vrs.void_vaccination(%L, 1, '他市', 'b.staff', 'req-2')$q$, pg_temp.dose_of('1000000001', 2))),
    'VRS41', 'B voiding A''s dose: VRS41, no such dose in its municipality');
SELECT is((SELECT state || version FROM vrs.vaccination WHERE coupon_number = '1000000001'), 'recorded1',
    'the refused voids changed nothing');
CREATE TEMP TABLE voided AS SELECT pg_temp.dose_of('1000000001', 2) AS id;
SELECT is(pg_temp.value_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.void_vaccination(%L, 1, '回数の読み取り誤り', 'a.staff', 'req-3')$q$, (SELECT id FROM voided))), '2',
    'staff void it at version 1: the new version is 2');
SELECT results_eq($$
    SELECT v.state, rc.action, rc.reason, rc.actor_id, rc.actor_role, rc.old_values::text, rc.new_values::text
      FROM vrs.vaccination v JOIN vrs.record_change rc ON rc.record_id = v.vaccination_id
     WHERE v.vaccination_id = (SELECT id FROM voided)$$,
    $$VALUES ('voided', 'vaccination.void', '回数の読み取り誤り', 'a.staff', 'staff', '{"state": "recorded"}', '{"state": "voided"}')$$,
    'the dose is voided, and the history says who, why and what changed');
SELECT results_eq($$
    SELECT actor_id, details ? 'reason', details->>'dose' FROM vrs.audit_event
     WHERE municipality_code = '131016' AND action = 'vaccination.void'$$,
    $$VALUES ('a.staff', false, '2')$$, 'the void is audited in A''s chain, without the free-text reason');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.void_vaccination(%L, 2, 'again', 'a.staff', 'req-4')$q$, (SELECT id FROM voided))),
    'VRS42', 'a voided dose cannot be voided (or corrected) again: VRS42');
SELECT is(pg_temp.tablet('1113101610000000' || '01', '2024-06-01'), 'recorded|{}',
    'the real first dose: no dose_mismatch, the voided one does not count');
SELECT is(pg_temp.tablet('1213101610000000' || '01', '2024-10-01'), 'recorded|{}',
    'the real second dose: recorded, not a duplicate of the voided one, and no mismatch');

-- ---------------------------------------------------------------------------------------------
-- Amend.
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE second AS SELECT pg_temp.dose_of('1000000001', 2) AS id;
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.amend_vaccination(%L, 1, 'x', ARRAY['product'], 'aspirin', NULL, NULL, NULL, NULL, 'a.staff', 'r')$q$, (SELECT id FROM second))),
    'VRS30', 'amending to an unknown product: VRS30');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.amend_vaccination(%L, 1, 'x', ARRAY['vaccinatedOn'], NULL, NULL, '2099-01-01', NULL, NULL, 'a.staff', 'r')$q$, (SELECT id FROM second))),
    'VRS31', 'amending to a date in the future: VRS31');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.amend_vaccination(%L, 1, 'x', ARRAY['lotNumber'], NULL, repeat('L', 21), NULL, NULL, NULL, 'a.staff', 'r')$q$, (SELECT id FROM second))),
    'VRS34', 'amending to a lot number of 21 characters: VRS34');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.amend_vaccination(%L, 1, 'x', '{}', NULL, NULL, NULL, NULL, NULL, 'a.staff', 'r')$q$, (SELECT id FROM second))),
    'VRS43', 'an amendment naming no field: VRS43');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.amend_vaccination(%L, 1, '予診票と照合', ARRAY['lotNumber', 'siteName'], NULL, 'FB5678', NULL, NULL, NULL, 'a.staff', 'r')$q$,
    (SELECT id FROM second))), '2', 'the lot number is amended and the site cleared');
SELECT results_eq($$
    SELECT v.lot_number, v.site_name, v.doctor_name, rc.old_values::text, rc.new_values::text
      FROM vrs.vaccination v JOIN vrs.record_change rc ON rc.record_id = v.vaccination_id AND rc.action = 'vaccination.amend'
     WHERE v.vaccination_id = (SELECT id FROM second)$$,
    $$VALUES ('FB5678', NULL::text, '医師', '{"site_name": "会場", "lot_number": "FA1234"}', '{"site_name": null, "lot_number": "FB5678"}')$$,
    'the named fields changed, the doctor stayed, and the history holds the earlier values');

-- ---------------------------------------------------------------------------------------------
-- Move within A.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.tablet('1113101610000000' || '02', '2024-06-02'), 'recorded|{}', 'a dose for coupon 1000000002 (person 2)');
CREATE TEMP TABLE wrong AS SELECT pg_temp.dose_of('1000000002', 1) AS id;
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.move_vaccination(%L, 1, '取り違え', '1000000002', NULL, 'a.staff', 'r')$q$, (SELECT id FROM wrong))),
    'VRS45', 'moving it where it is: VRS45');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.move_vaccination(%L, 1, '取り違え', '1000009999', NULL, 'a.staff', 'r')$q$, (SELECT id FROM wrong))),
    'VRS44', 'moving it to a coupon A never issued: VRS44');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.move_vaccination(%L, 1, '取り違え', '1000000001', NULL, 'a.staff', 'r')$q$, (SELECT id FROM wrong))),
    'VRS46', 'moving it to coupon 1000000001, which holds a recorded first dose: VRS46');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', format(
    $q$SELECT vrs.move_vaccination(%L, 1, '券の取り違え', NULL, 'aaaaaaaa-0000-4000-8000-000000000003', 'a.staff', 'r')$q$,
    (SELECT id FROM wrong))), '2', 'moving it onto person 3 (no coupon named)');
SELECT results_eq($$
    SELECT v.person_id::text, v.coupon_number::text, rc.person_ids @> ARRAY['aaaaaaaa-0000-4000-8000-000000000002',
                                                                           'aaaaaaaa-0000-4000-8000-000000000003']::uuid[]
      FROM vrs.vaccination v JOIN vrs.record_change rc ON rc.record_id = v.vaccination_id AND rc.action = 'vaccination.move'
     WHERE v.vaccination_id = (SELECT id FROM wrong)$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000003', '1000000003', true)$$,
    'the dose is on person 3''s active coupon, and the move is in both persons'' histories');

-- ---------------------------------------------------------------------------------------------
-- Hand-over A → B.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.tablet('1113101610000000' || '09', '2024-06-03'), 'pending_registration|{coupon_unknown}',
    'B''s coupon 1000000009 misread as A''s: pending in A, flagged coupon_unknown');
CREATE TEMP TABLE misread AS SELECT vaccination_id AS id FROM vrs.vaccination WHERE municipality_code = '131016' AND coupon_number = '1000000009';
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT * FROM vrs.hand_over_vaccination(%L, 1, 'x', '012131', NULL, 'a.staff', 'r')$q$, (SELECT id FROM misread))),
    'VRS44', 'handing over to a municipality not provisioned here: VRS44');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', format(
    $q$SELECT result || '|' || municipality_name || '|' || version FROM vrs.hand_over_vaccination(%L, 1, '市町村コードの誤読', '011002', NULL, 'a.staff', 'req-h')$q$,
    (SELECT id FROM misread))), 'recorded|札幌市|2', 'A hands it over to B: recorded there for B''s person');
SELECT is(current_setting('vrs.municipality', true), '', 'the caller''s tenant setting is left as it was');
SELECT results_eq($$
    SELECT a.state, a.moved_to_code::text, b.municipality_code::text, b.person_id::text, b.received_from_code::text, b.source
      FROM vrs.vaccination a JOIN vrs.vaccination b ON b.vaccination_id = a.moved_to_id
     WHERE a.vaccination_id = (SELECT id FROM misread)$$,
    $$VALUES ('moved', '011002', '011002', 'bbbbbbbb-0000-4000-8000-000000000009', '131016', 'tablet')$$,
    'A''s row is moved and names B''s new row, which is recorded for B''s person and says where it came from');
SELECT is(pg_temp.value_as('vrs_municipal', '011002',
    $q$SELECT action || '|' || reason || '|' || actor_id FROM vrs.record_change WHERE action = 'vaccination.receive'$q$),
    'vaccination.receive|市町村コードの誤読|a.staff', 'B''s history shows who handed the dose over and why');
SELECT is((SELECT string_agg(municipality_code || ':' || action, ',' ORDER BY municipality_code) FROM vrs.audit_event
            WHERE action IN ('vaccination.hand_over', 'vaccination.receive')),
    '011002:vaccination.receive,131016:vaccination.hand_over', 'each side''s audit chain records its half');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT count(*) FROM vrs.vaccination WHERE received_from_code = '131016'$q$), '0', 'A cannot see the row it handed to B');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format(
    $q$SELECT * FROM vrs.hand_over_vaccination(%L, 2, 'again', '011002', NULL, 'a.staff', 'r')$q$, (SELECT id FROM misread))),
    'VRS42', 'a handed-over dose cannot be handed over again: VRS42');

-- ---------------------------------------------------------------------------------------------
-- Merge person 3 into person 4.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.state_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.merge_person('aaaaaaaa-0000-4000-8000-000000000003',
        (SELECT version FROM vrs.person WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000003'), 'aaaaaaaa-0000-4000-8000-000000000003', 'x', 'a.staff', 'r')$q$),
    'VRS45', 'merging a person into itself: VRS45');
SELECT is(pg_temp.state_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.merge_person('aaaaaaaa-0000-4000-8000-000000000003',
        (SELECT version FROM vrs.person WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000003'), 'bbbbbbbb-0000-4000-8000-000000000009', 'x', 'a.staff', 'r')$q$),
    'VRS44', 'merging into a person A does not have (B''s): VRS44');
SELECT is(pg_temp.state_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.merge_person('aaaaaaaa-0000-4000-8000-000000000003', 9, 'aaaaaaaa-0000-4000-8000-000000000004', 'x', 'a.staff', 'r')$q$),
    'VRS40', 'merging at a stale version: VRS40');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT coupons || '|' || doses FROM vrs.merge_person('aaaaaaaa-0000-4000-8000-000000000003',
        (SELECT version FROM vrs.person WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000003'),
        'aaaaaaaa-0000-4000-8000-000000000004', '二重登録', 'a.staff', 'r')$q$), '1|1',
    'person 3 merged into person 4: one coupon and one dose moved');
SELECT results_eq($$
    SELECT (SELECT merged_into::text FROM vrs.person WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000003'),
           (SELECT count(*)::int FROM vrs.coupon WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000004'),
           (SELECT count(*)::int FROM vrs.vaccination WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000004'),
           (SELECT count(*)::int FROM vrs.record_change WHERE action = 'person.merge'
               AND person_ids @> ARRAY['aaaaaaaa-0000-4000-8000-000000000004']::uuid[])$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000004', 2, 1, 3)$$,
    'person 3 is a tombstone pointing at 4, who holds both coupons and the dose; the coupon, the dose and the tombstone are in 4''s history');
SELECT is(pg_temp.state_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.merge_person('aaaaaaaa-0000-4000-8000-000000000003',
        (SELECT version FROM vrs.person WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000003'),
        'aaaaaaaa-0000-4000-8000-000000000001', 'x', 'a.staff', 'r')$q$),
    'VRS42', 'a tombstone cannot be merged again: VRS42');
SELECT is((SELECT count(*)::int FROM vrs.audit_event WHERE municipality_code = '131016' AND action = 'person.merge'), 1,
    'the merge is audited once');

SELECT is((SELECT count(*)::int FROM vrs.verify_audit_chain('131016')) + (SELECT count(*)::int FROM vrs.verify_audit_chain('011002')), 0,
    'both audit chains still verify');

SELECT * FROM finish();
ROLLBACK;
