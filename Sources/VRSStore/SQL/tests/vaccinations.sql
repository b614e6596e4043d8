-- vaccinations.sql: the dose doors of 0009, proven at the database.
--
-- Fixtures: A = 131016 (千代田区), B = 011002 (札幌市) and C = 012131 (苫小牧市, no coupons) are
-- provisioned by the operator; A's staff registers persons and coupons; B's admin registers a
-- tablet (and a second one it revokes). Then this file proves that:
--   * vrs_device can SELECT (or otherwise use) no table, view, sequence or column of schema vrs,
--     and can EXECUTE no function of vrs but tablet_record_vaccination; vrs_app can execute it
--     (and name schema vrs); the operator, staff, admins and vrs_auth cannot; store_vaccination
--     and parse_coupon_code are executable by nobody; staff_record_vaccination by vrs_municipal
--     (and so its admins) only; every product has its approval date;
--   * a tablet of B reading a coupon of A stores the dose in A's partition ('recorded', A's code
--     and name, dose and coupon kind from the code), B sees nothing of it; the caller's tenant
--     setting is left as it was; vrs_app calling in autocommit style (nothing bound) works too;
--   * the same client record id, or the same coupon and dose, again: 'duplicate', the earlier
--     record's flags, one row;
--   * each flag: coupon_superseded, person_moved_out, person_deceased, dose_mismatch,
--     interval_short (product-specific 28 days for Moderna; the booster rule version of the
--     dose's date, not an older one), and none when all is in order;
--   * an unregistered coupon: 'pending_registration', person NULL, coupon_unknown when A has
--     coupons, no flag for C which has none; link_pending_vaccinations links it once the coupon
--     is registered (B linking A's records links nothing) and drops coupon_unknown;
--   * refusals: VRS33 bad check digit, 17 digits, dose digit 0; VRS30 unknown product with the
--     accepted codes in the HINT; VRS31 future and before approval; VRS34 empty or long lot;
--     VRS32 unprovisioned municipality; VRS35 revoked and unknown device; VRS36 staff with
--     another municipality's code; 22023 staff with a bad source; nothing stored by any of them;
--   * staff and import doses through staff_record_vaccination, with the actor's role; a direct
--     INSERT by vrs_municipal still works;
--   * every dose is audited in A's chain (device municipality noted for tablets, no personal
--     data keys), none in B's; A's chain verifies.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(73);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

-- 'SQLSTATE: message / hint' of a statement run as a role, or 'no error'.
CREATE FUNCTION pg_temp.error_as(p_role text, p_code text, p_sql text) RETURNS text
    LANGUAGE plpgsql AS $fn$
DECLARE
    v_state text;
    v_msg   text;
    v_hint  text;
BEGIN
    PERFORM pg_temp.exec_as(p_role, p_code, p_sql);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
    RETURN v_state || ': ' || v_msg || coalesce(' / ' || nullif(v_hint, ''), '');
END
$fn$;

-- A tablet call's answer as one string: result|flags|code|name|dose|kind.
CREATE FUNCTION pg_temp.tablet(p_token text, p_code text, p_on date, p_product text, p_lot text, p_record text) RETURNS text
    LANGUAGE sql AS $fn$
    SELECT format($q$SELECT result || '|' || flags::text || '|' || municipality_code || '|' || coalesce(municipality_name, '-')
                            || '|' || dose || '|' || coupon_kind
                       FROM vrs.tablet_record_vaccination(sha256(%L::bytea), %L, %L::date, %L, %L, '会場', '医師', %L, 'req-t')$q$,
                  p_token, p_code, p_on, p_product, p_lot, p_record)
$fn$;

-- ---------------------------------------------------------------------------------------------
-- Fixtures.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')$q$), 'true', 'fixture: provision A (131016)');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$), 'true', 'fixture: provision B (011002)');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('012131', '\x0c01', '\x0c02', 'master-1')$q$), 'true', 'fixture: provision C (012131, no coupons)');

SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index,
        key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex, status, status_effective_on)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-000000000001', 'A-0001', '\xa1', sha256('A-0001'), 1, '千代田', '一郎', 'チヨダ', 'イチロウ', '1950-04-01', 'M', 'active', NULL),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000002', 'A-0002', '\xa2', sha256('A-0002'), 1, '千代田', '二郎', 'チヨダ', 'ジロウ', '1951-04-01', 'M', 'moved_out', '2021-05-01'),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000003', 'A-0003', '\xa3', sha256('A-0003'), 1, '千代田', '三郎', 'チヨダ', 'サブロウ', '1930-04-01', 'M', 'deceased', '2021-05-02'),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000004', 'A-0004', '\xa4', sha256('A-0004'), 1, '千代田', '四子', 'チヨダ', 'ヨツコ', '1960-04-01', 'F', 'active', NULL),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000005', 'A-0005', '\xa5', sha256('A-0005'), 1, '千代田', '五子', 'チヨダ', 'イツコ', '1961-04-01', 'F', 'active', NULL),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000006', 'A-0006', '\xa6', sha256('A-0006'), 1, '千代田', '六郎', 'チヨダ', 'ロクロウ', '1962-04-01', 'M', 'active', NULL),
           ('131016', 'aaaaaaaa-0000-4000-8000-000000000008', 'A-0008', '\xa8', sha256('A-0008'), 1, '千代田', '八子', 'チヨダ', 'ヤエコ', '1963-04-01', 'F', 'active', NULL)$q$),
    '7', 'fixture: A registers seven persons (one moved out, one deceased)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.coupon (municipality_code, coupon_id, person_id, coupon_number, kind, status)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c1', 'aaaaaaaa-0000-4000-8000-000000000001', '1000000001', 1, 'active'),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c2', 'aaaaaaaa-0000-4000-8000-000000000002', '1000000002', 1, 'active'),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c3', 'aaaaaaaa-0000-4000-8000-000000000003', '1000000003', 1, 'active'),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c4', 'aaaaaaaa-0000-4000-8000-000000000004', '1000000004', 1, 'superseded'),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c5', 'aaaaaaaa-0000-4000-8000-000000000004', '1000000005', 1, 'active'),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c6', 'aaaaaaaa-0000-4000-8000-000000000005', '1000000006', 1, 'active'),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c7', 'aaaaaaaa-0000-4000-8000-000000000006', '1000000007', 1, 'active'),
           ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c8', 'aaaaaaaa-0000-4000-8000-000000000008', '1000000008', 1, 'active')$q$),
    '8', 'fixture: A registers eight coupons (1000000004 superseded by 1000000005)');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '011002', $q$
    INSERT INTO vrs.device (device_id, municipality_code, label, token_hash, created_by)
    VALUES ('bbbbbbbb-0000-4000-8000-0000000000d1', '011002', '札幌会場1', sha256('token-b'::bytea), 'b.admin'),
           ('bbbbbbbb-0000-4000-8000-0000000000d2', '011002', '札幌会場2', sha256('token-b-old'::bytea), 'b.admin')$q$),
    '2', 'fixture: B''s admin registers two tablets');
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '011002', $q$
    UPDATE vrs.device SET revoked_at = now() WHERE device_id = 'bbbbbbbb-0000-4000-8000-0000000000d2'$q$),
    '1', 'fixture: B''s admin revokes the second tablet');

-- ---------------------------------------------------------------------------------------------
-- Privileges.
-- ---------------------------------------------------------------------------------------------
SELECT cmp_ok((SELECT count(*) FROM pg_class WHERE relnamespace = 'vrs'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S')),
    '>', 20::bigint, 'schema vrs has tables (the checks below are not vacuous)');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
     WHERE c.relnamespace = 'vrs'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND (has_table_privilege('vrs_device', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
            OR has_any_column_privilege('vrs_device', c.oid, 'SELECT,INSERT,UPDATE,REFERENCES')
            OR (c.relkind = 'S' AND has_sequence_privilege('vrs_device', c.oid, 'USAGE,SELECT,UPDATE')))$$,
    'vrs_device holds no privilege on any table, partition, view, sequence or column of schema vrs');
SELECT set_eq($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'vrs'::regnamespace AND has_function_privilege('vrs_device', p.oid, 'EXECUTE')$$,
    $$VALUES ('vrs.tablet_record_vaccination(bytea,text,date,text,text,text,text,text,text)')$$,
    'the only function of vrs vrs_device can execute is tablet_record_vaccination');
SELECT ok(has_schema_privilege('vrs_device', 'vrs', 'USAGE') AND NOT has_schema_privilege('vrs_device', 'vrs', 'CREATE'),
    'vrs_device may name schema vrs (to call the door), not create in it');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '011002', 'SELECT * FROM vrs.vaccine_product')$t$,
    '42501', 'permission denied for table vaccine_product', 'a device cannot read the product list');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '011002', 'SELECT vrs.current_municipality()')$t$,
    '42501', 'permission denied for function current_municipality', 'a device cannot execute current_municipality');
SELECT ok(has_schema_privilege('vrs_app', 'vrs', 'USAGE')
          AND has_function_privilege('vrs_app', 'vrs.tablet_record_vaccination(bytea,text,date,text,text,text,text,text,text)', 'EXECUTE'),
    'vrs_app itself (no SET ROLE) may name schema vrs and execute tablet_record_vaccination');
SELECT is_empty($$
    SELECT r FROM unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_auth']) r
     WHERE has_function_privilege(r, 'vrs.tablet_record_vaccination(bytea,text,date,text,text,text,text,text,text)', 'EXECUTE')$$,
    'staff, admins, the operator and vrs_auth cannot execute tablet_record_vaccination');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$SELECT * FROM vrs.tablet_record_vaccination(sha256('token-b'::bytea), '111310161000000001', '2021-06-01', 'pfizer-comirnaty', 'X', NULL, NULL, 'op', NULL)$q$)$t$,
    '42501', 'permission denied for function tablet_record_vaccination', 'the operator calling the tablet door: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.tablet_record_vaccination(sha256('token-b'::bytea), '111310161000000001', '2021-06-01', 'pfizer-comirnaty', 'X', NULL, NULL, 'st', NULL)$q$)$t$,
    '42501', 'permission denied for function tablet_record_vaccination', 'staff calling the tablet door: permission denied');
SELECT is_empty($$
    SELECT f, r FROM unnest(ARRAY['vrs.store_vaccination(char,char,smallint,date,text,text,text,text,text,uuid,text,text,text,text,jsonb)',
                                  'vrs.parse_coupon_code(text)']) f,
                     unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth']) r
     WHERE has_function_privilege(r, f::regprocedure, 'EXECUTE')$$,
    'store_vaccination and parse_coupon_code are executable by nobody but the owner');
SELECT set_eq($$
    SELECT r FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth']) r
     WHERE has_function_privilege(r, 'vrs.staff_record_vaccination(text,date,text,text,text,text,text,text,text,text)', 'EXECUTE')$$,
    $$VALUES ('vrs_municipal'), ('vrs_municipal_admin')$$,
    'staff_record_vaccination: staff and (inherited) admins only');
SELECT set_eq($$
    SELECT r FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth']) r
     WHERE has_function_privilege(r, 'vrs.link_pending_vaccinations(char)', 'EXECUTE')$$,
    $$VALUES ('vrs_municipal'), ('vrs_municipal_admin')$$,
    'link_pending_vaccinations: staff and (inherited) admins only');
SELECT is((SELECT string_agg(r, ',' ORDER BY r) FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth']) r
            WHERE has_table_privilege(r, 'vrs.dose_interval_rule', 'SELECT')),
    'vrs_municipal,vrs_municipal_admin', 'the interval rules are read by staff (and admins) only');
SELECT is_empty($$SELECT code FROM vrs.vaccine_product WHERE approved_on IS NULL$$, 'every product has its approval date');
SELECT col_not_null('vrs', 'vaccine_product', 'approved_on', 'vaccine_product.approved_on is NOT NULL');

-- ---------------------------------------------------------------------------------------------
-- A tablet of B records a dose for a coupon of A.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000001', '2021-06-01', 'pfizer-comirnaty', 'FA1234', 'rec-1')),
    'recorded|{}|131016|千代田区|1|1', 'B''s tablet, coupon of A: recorded, no flag, A''s code and name, dose 1, kind 1');
SELECT results_eq($$
    SELECT person_id, coupon_number::text, dose, vaccinated_on, product_code, lot_number, site_name, doctor_name, source,
           device_id, client_record_id, flags
      FROM vrs.vaccination_p131016 WHERE client_record_id = 'rec-1'$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000001'::uuid, '1000000001', 1::smallint, '2021-06-01'::date, 'pfizer-comirnaty',
              'FA1234', '会場', '医師', 'tablet', 'bbbbbbbb-0000-4000-8000-0000000000d1'::uuid, 'rec-1', '{}'::text[])$$,
    'superuser check: the row is in A''s partition, for A''s person, with the tablet as its device');
SELECT is((SELECT count(*) FROM vrs.vaccination_p011002), 0::bigint, 'superuser check: nothing landed in B''s partition');
SELECT is(pg_temp.value_as('vrs_municipal', '011002', 'SELECT count(*) FROM vrs.vaccination'), '0', 'B sees no vaccination');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$SELECT count(*) FROM vrs.vaccination WHERE municipality_code = '131016'$q$),
    '1', 'A sees the dose');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '011002', 'SELECT * FROM vrs.vaccination')$t$,
    '42501', 'permission denied for table vaccination', 'the tablet cannot read vaccinations');

-- Retries.
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000001', '2021-06-01', 'pfizer-comirnaty', 'FA1234', 'rec-1')),
    'duplicate|{}|131016|千代田区|1|1', 'the same client record id again: duplicate');
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000001', '2021-06-02', 'pfizer-comirnaty', 'FA1234', 'rec-1-bis')),
    'duplicate|{}|131016|千代田区|1|1', 'the same coupon and dose under another client record id: duplicate');
SELECT is((SELECT count(*) FROM vrs.vaccination WHERE municipality_code = '131016' AND coupon_number = '1000000001'), 1::bigint,
    'superuser check: the coupon''s dose 1 is stored once');

-- ---------------------------------------------------------------------------------------------
-- Flags.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '121310161000000001', '2021-06-11', 'pfizer-comirnaty', 'FA1235', 'rec-2')),
    'recorded|{interval_short}|131016|千代田区|2|1', 'dose 2 ten days after dose 1 (Pfizer: 21): interval_short');
SELECT is(pg_temp.value_as('vrs_device', '011002',
    $q$SELECT (SELECT result || '|' || flags::text FROM vrs.tablet_record_vaccination(sha256('token-b'::bytea), '111310161000000002',
                    '2021-06-01', 'pfizer-comirnaty', 'FA1234', NULL, NULL, 'rec-3', 'req-3'))
              || '|' || current_setting('vrs.municipality')$q$),
    'recorded|{person_moved_out}|011002', 'a moved-out person''s coupon: recorded, person_moved_out; the caller''s tenant setting is left as it was');
SELECT is(pg_temp.value_as('vrs_app', '', pg_temp.tablet('token-b', '111310161000000003', '2021-06-01', 'pfizer-comirnaty', 'FA1234', 'rec-4')),
    'recorded|{person_deceased}|131016|千代田区|1|1', 'vrs_app itself, nothing bound (autocommit style): a deceased person''s coupon, person_deceased');
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000004', '2021-06-01', 'pfizer-comirnaty', 'FA1234', 'rec-5')),
    'recorded|{coupon_superseded}|131016|千代田区|1|1', 'a superseded coupon: recorded, coupon_superseded');
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '131310161000000006', '2021-12-01', 'pfizer-comirnaty', 'FA1234', 'rec-6')),
    'recorded|{dose_mismatch}|131016|千代田区|3|1', 'dose 3 for a person with no recorded dose: dose_mismatch');
SELECT is((SELECT person_id::text FROM vrs.vaccination WHERE municipality_code = '131016' AND client_record_id = 'rec-5'),
    'aaaaaaaa-0000-4000-8000-000000000004', 'superuser check: the superseded coupon''s dose went to its person');

-- Staff doses (and the interval rules).
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$
    SELECT result || '|' || flags::text || '|' || person_id || '|' || dose || '|' || (vaccination_id IS NOT NULL)
      FROM vrs.staff_record_vaccination('111310161000000007', '2021-06-01', 'pfizer-comirnaty', 'FA2000', '千代田区役所', '山田', NULL, 'staff', 'staff-1', 'req-s1')$q$),
    'recorded|{}|aaaaaaaa-0000-4000-8000-000000000006|1|true', 'staff records a dose of its own coupon: recorded, with the person and the id');
SELECT is(pg_temp.value_as('vrs_municipal_admin', '131016', $q$
    SELECT result || '|' || flags::text FROM vrs.staff_record_vaccination('121310161000000007', '2021-06-22', 'pfizer-comirnaty', 'FA2001', NULL, NULL, 'line-2', 'import', 'admin-1', 'req-s2')$q$),
    'recorded|{}', 'an admin''s import line, dose 2 exactly 21 days later (Pfizer): no flag');
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '131310161000000007', '2022-02-10', 'pfizer-comirnaty', 'FA3000', 'rec-7')),
    'recorded|{}|131016|千代田区|3|1', 'a booster 7 months and 19 days later, in Feb 2022: the 6-month rule of that date applies (not the 8 of Dec 2021)');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$
    SELECT string_agg(s.result || ':' || s.flags::text, ',' ORDER BY d.n)
      FROM (VALUES (1, '111310161000000008', date '2021-07-01'), (2, '121310161000000008', date '2021-07-26')) d(n, code, day),
           LATERAL vrs.staff_record_vaccination(d.code, d.day, 'moderna-spikevax', 'MD1', NULL, NULL, NULL, 'staff', 'staff-1', NULL) s$q$),
    'recorded:{},recorded:{interval_short}', 'Moderna dose 2 after 25 days: interval_short (its own 28-day row, not the generic 21)');
SELECT results_eq($$
    SELECT client_record_id, source FROM vrs.vaccination WHERE municipality_code = '131016' AND coupon_number = '1000000007' ORDER BY dose$$,
    $$VALUES (NULL::text, 'staff'), ('line-2', 'import'), ('rec-7', 'tablet')$$,
    'superuser check: staff, import and tablet sources are stored as such');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.vaccination (municipality_code, person_id, coupon_number, dose, vaccinated_on, product_code, lot_number, source)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-000000000005', '1000000006', 1, '2021-06-01', 'pfizer-comirnaty', 'DIRECT', 'staff')$q$),
    '1', 'vrs_municipal''s direct INSERT into vrs.vaccination still works');

-- ---------------------------------------------------------------------------------------------
-- Coupons not registered (yet).
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000099', '2021-06-03', 'pfizer-comirnaty', 'FA1234', 'rec-8')),
    'pending_registration|{coupon_unknown}|131016|千代田区|1|1', 'a coupon A has not registered: pending, coupon_unknown (A has coupons)');
SELECT is(pg_temp.value_as('vrs_device', '011002', pg_temp.tablet('token-b', '210121311234567890', '2021-06-03', 'moderna-spikevax', 'MD1', 'rec-9')),
    'pending_registration|{}|012131|苫小牧市|1|2', 'a coupon of C, which has registered none: pending, no flag');
SELECT is((SELECT (person_id IS NULL)::text || '|' || coupon_number FROM vrs.vaccination WHERE municipality_code = '131016' AND client_record_id = 'rec-8'),
    'true|1000000099', 'superuser check: the pending dose is stored without a person, with its coupon number');
SELECT is(pg_temp.value_as('vrs_municipal', '011002', $q$SELECT vrs.link_pending_vaccinations('131016')$q$),
    '0', 'B linking A''s pending doses links nothing (runs under B''s row-level security)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    WITH p AS (INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index,
                   key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex)
               VALUES ('131016', 'aaaaaaaa-0000-4000-8000-000000000007', 'A-0007', '\xa7', sha256('A-0007'), 1, '千代田', '七子', 'チヨダ', 'ナナコ', '1970-04-01', 'F')
               RETURNING person_id)
    INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind) SELECT '131016', person_id, '1000000099', 1 FROM p$q$),
    '1', 'fixture: A registers the person and the coupon');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$SELECT vrs.link_pending_vaccinations('131016')$q$),
    '1', 'A links its pending dose: 1');
SELECT is((SELECT person_id::text || '|' || flags::text FROM vrs.vaccination WHERE municipality_code = '131016' AND client_record_id = 'rec-8'),
    'aaaaaaaa-0000-4000-8000-000000000007|{}', 'superuser check: the dose has its person now, and coupon_unknown is gone');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$SELECT vrs.link_pending_vaccinations('131016')$q$),
    '0', 'linking again links nothing');

-- ---------------------------------------------------------------------------------------------
-- Refusals. Nothing is stored by any of them (count checked at the end).
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE count_before AS SELECT count(*) AS n FROM vrs.vaccination;
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310171000000001', '2021-06-01', 'pfizer-comirnaty', 'FA1', 'bad-1')),
    'VRS33: the municipality code 131017 in the coupon code fails its check digit: the code was misread / Read the coupon again, or type the 18 digits.',
    'a wrong municipality check digit: VRS33, naming the municipality part only');
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '11131016100000000', '2021-06-01', 'pfizer-comirnaty', 'FA1', 'bad-2')),
    'VRS33: the coupon code must be exactly 18 digits (17 characters given)', '17 digits: VRS33');
SELECT is(left(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '101310161000000001', '2021-06-01', 'pfizer-comirnaty', 'FA1', 'bad-3')), 6),
    'VRS33:', 'dose digit 0: VRS33');
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000001', '2021-06-01', 'sputnik-v', 'FA1', 'bad-4')),
    'VRS30: unknown product ''sputnik-v'' / Accepted product codes: '
        || (SELECT string_agg(code, ', ' ORDER BY code) FROM vrs.vaccine_product),
    'an unknown product: VRS30, the accepted codes (comma separated) in the HINT');
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000005', (now() AT TIME ZONE 'Asia/Tokyo')::date + 30, 'pfizer-comirnaty', 'FA1', 'bad-5')),
    format('VRS31: vaccinated_on %s is in the future (today is %s in Japan)', (now() AT TIME ZONE 'Asia/Tokyo')::date + 30, (now() AT TIME ZONE 'Asia/Tokyo')::date),
    'a date in the future: VRS31, saying so');
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000005', '2023-08-31', 'pfizer-comirnaty-xbb15', 'FA1', 'bad-6')),
    'VRS31: vaccinated_on 2023-08-31 is before pfizer-comirnaty-xbb15 was approved in Japan (2023-09-01)',
    'a date before the product''s approval: VRS31, saying so');
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000005', '2021-06-01', 'pfizer-comirnaty', '  ', 'bad-7')),
    'VRS34: the lot number is empty', 'a blank lot number: VRS34');
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310161000000005', '2021-06-01', 'pfizer-comirnaty', repeat('L', 21), 'bad-8')),
    'VRS34: the lot number is longer than 20 characters', 'a 21-character lot number: VRS34');
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b', '111310411000000001', '2021-06-01', 'pfizer-comirnaty', 'FA1', 'bad-9')),
    'VRS32: municipality 131041 is not provisioned here, or is suspended', 'a valid code of a municipality not provisioned (新宿区): VRS32');
SELECT is(pg_temp.error_as('vrs_device', '011002', pg_temp.tablet('token-b-old', '111310161000000005', '2021-06-01', 'pfizer-comirnaty', 'FA1', 'bad-10')),
    'VRS35: device token not valid or revoked', 'a revoked tablet: VRS35');
SELECT is(pg_temp.error_as('vrs_app', '', pg_temp.tablet('no-such-token', '111310161000000005', '2021-06-01', 'pfizer-comirnaty', 'FA1', 'bad-11')),
    'VRS35: device token not valid or revoked', 'an unknown token: VRS35');
SELECT is(pg_temp.error_as('vrs_municipal', '131016', $q$
    SELECT * FROM vrs.staff_record_vaccination('110110022000000001', '2021-06-01', 'pfizer-comirnaty', 'FA1', NULL, NULL, NULL, 'staff', 'staff-1', NULL)$q$),
    'VRS36: the coupon code names municipality 011002, not the caller''s own (131016) / A dose for a coupon of another municipality is that municipality''s record: it is submitted from a tablet.',
    'staff of A with a coupon code of B: VRS36');
SELECT is(pg_temp.error_as('vrs_municipal', '', $q$
    SELECT * FROM vrs.staff_record_vaccination('111310161000000005', '2021-06-01', 'pfizer-comirnaty', 'FA1', NULL, NULL, NULL, 'staff', 'staff-1', NULL)$q$),
    'VRS36: the coupon code names municipality 131016, not the caller''s own (none bound) / A dose for a coupon of another municipality is that municipality''s record: it is submitted from a tablet.',
    'staff with no municipality bound: VRS36');
SELECT is(pg_temp.error_as('vrs_municipal', '131016', $q$
    SELECT * FROM vrs.staff_record_vaccination('111310161000000005', '2021-06-01', 'pfizer-comirnaty', 'FA1', NULL, NULL, NULL, 'tablet', 'staff-1', NULL)$q$),
    '22023: source must be staff or import', 'staff claiming source tablet: 22023');
SELECT is((SELECT count(*) FROM vrs.vaccination), (SELECT n FROM count_before), 'superuser check: no refused dose was stored');

-- ---------------------------------------------------------------------------------------------
-- Audit.
-- ---------------------------------------------------------------------------------------------
SELECT results_eq($$
    SELECT e.actor_id, e.actor_role, e.target_type, e.outcome, e.request_id,
           e.details->>'result', e.details->>'source', e.details->>'dose', e.details->>'flags',
           e.details->>'couponNumber', e.details->>'deviceMunicipality'
      FROM vrs.audit_event e
     WHERE e.municipality_code = '131016' AND e.action = 'vaccination.record'
       AND e.target_id = (SELECT vaccination_id::text FROM vrs.vaccination WHERE municipality_code = '131016' AND client_record_id = 'rec-1')
     ORDER BY e.seq$$,
    $$VALUES ('bbbbbbbb-0000-4000-8000-0000000000d1', 'device', 'vaccination', 'success', 'req-t', 'recorded', 'tablet', '1', '', '1000000001', '011002'),
             ('bbbbbbbb-0000-4000-8000-0000000000d1', 'device', 'vaccination', 'success', 'req-t', 'duplicate', 'tablet', '1', '', '1000000001', '011002'),
             ('bbbbbbbb-0000-4000-8000-0000000000d1', 'device', 'vaccination', 'success', 'req-t', 'duplicate', 'tablet', '1', '', '1000000001', '011002')$$,
    'the tablet dose and its two retries are audited in A''s chain, against the one record, noting the tablet''s municipality');
SELECT results_eq($$
    SELECT e.actor_id, e.actor_role, e.details->>'source', e.details->>'flags'
      FROM vrs.audit_event e
     WHERE e.municipality_code = '131016' AND e.action = 'vaccination.record' AND e.details->>'source' IN ('staff', 'import')
     ORDER BY e.seq$$,
    $$VALUES ('staff-1', 'staff', 'staff', ''), ('admin-1', 'admin', 'import', ''), ('staff-1', 'staff', 'staff', ''),
             ('staff-1', 'staff', 'staff', 'interval_short')$$,
    'staff and import doses are audited with the actor and its role (admin for an admin)');
SELECT is((SELECT count(*) FROM vrs.audit_event WHERE municipality_code = '131016' AND action = 'vaccination.record'), 14::bigint,
    'A''s chain holds one event per answer: 12 doses stored through the doors (the pending one included), 2 duplicates');
SELECT is_empty($$
    SELECT DISTINCT k FROM vrs.audit_event e, jsonb_object_keys(e.details) k
     WHERE e.action = 'vaccination.record' AND k NOT IN ('result', 'source', 'dose', 'flags', 'couponNumber', 'deviceMunicipality')$$,
    'the events carry no other details (no name, no number, no date of birth)');
SELECT is((SELECT count(*) FROM vrs.audit_event WHERE municipality_code = '011002'), 0::bigint,
    'nothing about A''s doses went to the tablet''s own chain (B)');
SELECT is_empty($$SELECT * FROM vrs.verify_audit_chain('131016')$$, 'A''s chain verifies');

SELECT * FROM finish();
ROLLBACK;
