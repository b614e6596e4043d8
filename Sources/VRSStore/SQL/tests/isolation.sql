-- isolation.sql: tenant isolation of the personal-data tables, proven at the database.
--
-- Fixtures: municipalities A = 131016 (千代田区) and B = 011002 (札幌市) are provisioned by the
-- operator; each, as vrs_municipal bound to itself, inserts a person, a coupon and a vaccination;
-- its provision record is written by vrs_owner bound to it, as the door vrs.inquire_transfer
-- writes one (since 0013 vrs_municipal can no longer INSERT into provision_record). Then, as
-- vrs_municipal bound to A, this file proves that:
--   * with no tenant bound (setting never set, and '' as on a pooled connection) nothing is
--     visible and nothing can be inserted; a malformed setting ('1310169') is no tenant either;
--   * A sees exactly its own rows in person, coupon, vaccination, provision_record;
--   * selecting B's rows through the parent with municipality_code = B returns nothing;
--   * inserting a row for B raises 42501 (RLS WITH CHECK); moving A's row to B raises 42501;
--     inserting a provision record, for B or for A itself, raises 42501 (permission denied: no
--     INSERT privilege since 0013); the owner bound to A cannot write one into B (RLS WITH CHECK);
--   * UPDATE of B's persons and coupons affects 0 rows; vaccinations cannot be updated, and nothing
--     can be deleted, at all (0012); B's rows are unchanged (checked as superuser);
--   * selecting or inserting into a partition directly (B's and A's own) raises 42501;
--   * vrs.municipality: A sees its own row, not B's, and a device reads none at all (0009); A
--     can no longer change key_version, of B's row or of its own (0006: only the owner's
--     rotation writes keys), nor any other column;
--   * vrs.municipality_key: A cannot read B's keys and reads its own; it can no longer add a key,
--     for B or for itself, nor rewrap; neither can A's admin (vrs_municipal_admin); a device
--     reads no key at all; the key rows are unchanged (checked as superuser).
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(66);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

-- ---------------------------------------------------------------------------------------------
-- Nothing bound yet in this session (the setting does not exist: current_setting(.., true) NULL).
-- ---------------------------------------------------------------------------------------------
SELECT ok(current_setting('vrs.municipality', true) IS NULL, 'precondition: no tenant was ever bound in this session');

SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'test-master')$q$),
    'true', 'fixture: operator provisions A (131016)');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'test-master')$q$),
    'true', 'fixture: operator provisions B (011002)');

SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', NULL, $q$
    INSERT INTO vrs.person (municipality_code, address_number, individual_number_cipher,
        individual_number_index, key_version, family_name, given_name, family_name_kana,
        given_name_kana, birth_date, sex)
    VALUES ('131016', 'A-9999', '\x00', sha256('\x00'), 1, '無', '所属', 'ム', 'ショゾク', '1970-01-01', 'U')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "person"',
    'no tenant bound (setting never set): inserting a person for A is refused by RLS');

-- ---------------------------------------------------------------------------------------------
-- Fixtures, each municipality writing its own rows.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher,
        individual_number_index, key_version, family_name, given_name, family_name_kana,
        given_name_kana, birth_date, sex)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-000000000001', 'A-0001', '\xa1a1a1', sha256('A-0001'), 1,
            '千代田', '太郎', 'チヨダ', 'タロウ', '1950-04-01', 'M')$q$), '1', 'fixture: A inserts its person');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.coupon (municipality_code, coupon_id, person_id, coupon_number, kind, dose)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c1', 'aaaaaaaa-0000-4000-8000-000000000001',
            '1000000001', 1, 1)$q$), '1', 'fixture: A inserts its coupon');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.vaccination (municipality_code, vaccination_id, person_id, coupon_number, dose,
        vaccinated_on, product_code, lot_number, site_name, doctor_name, source, client_record_id)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-0000000000d1', 'aaaaaaaa-0000-4000-8000-000000000001',
            '1000000001', 1, '2021-06-01', 'pfizer-comirnaty', 'FA1234', '千代田区役所', '山田', 'staff', 'A-rec-1')$q$), '1', 'fixture: A inserts its vaccination');
-- (Since 0013 provision records are written by the door alone, as vrs_owner bound to the side's
-- municipality: here A's copy of an answer A gave to B.)
SELECT is(pg_temp.rows_as('vrs_owner', '131016', $q$
    INSERT INTO vrs.provision_record (municipality_code, provision_id, requester_code, provider_code, outcome, record_count)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-0000000000e1', '011002', '131016', 'found', 1)$q$), '1',
    'fixture: the owner bound to A writes A''s provision record (as the door does)');

SELECT is(pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher,
        individual_number_index, key_version, family_name, given_name, family_name_kana,
        given_name_kana, birth_date, sex)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-000000000001', 'B-0001', '\xb1b1b1', sha256('B-0001'), 1,
            '札幌', '花子', 'サッポロ', 'ハナコ', '1960-02-29', 'F')$q$), '1', 'fixture: B inserts its person');
SELECT is(pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.coupon (municipality_code, coupon_id, person_id, coupon_number, kind, dose)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-0000000000c1', 'bbbbbbbb-0000-4000-8000-000000000001',
            '2000000001', 1, 1)$q$), '1', 'fixture: B inserts its coupon');
SELECT is(pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.vaccination (municipality_code, vaccination_id, person_id, coupon_number, dose,
        vaccinated_on, product_code, lot_number, site_name, doctor_name, source, client_record_id)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-0000000000d1', 'bbbbbbbb-0000-4000-8000-000000000001',
            '2000000001', 1, '2021-07-01', 'moderna-spikevax', '3003456', '札幌市役所', '佐藤', 'staff', 'B-rec-1')$q$), '1', 'fixture: B inserts its vaccination');
SELECT is(pg_temp.rows_as('vrs_owner', '011002', $q$
    INSERT INTO vrs.provision_record (municipality_code, provision_id, requester_code, provider_code, outcome, record_count)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-0000000000e1', '131016', '011002', 'not_found', 0)$q$), '1',
    'fixture: the owner bound to B writes B''s provision record (as the door does)');

-- Snapshot of B's rows, taken as superuser (RLS does not apply), to compare with at the end.
CREATE TEMP TABLE b_before AS
SELECT 'person' AS t, to_jsonb(p) AS row FROM vrs.person p WHERE municipality_code = '011002'
UNION ALL SELECT 'coupon', to_jsonb(c) FROM vrs.coupon c WHERE municipality_code = '011002'
UNION ALL SELECT 'vaccination', to_jsonb(v) FROM vrs.vaccination v WHERE municipality_code = '011002'
UNION ALL SELECT 'provision_record', to_jsonb(r) FROM vrs.provision_record r WHERE municipality_code = '011002';

SELECT is((SELECT count(*) FROM b_before), 4::bigint, 'superuser sees B''s four fixture rows');

-- ---------------------------------------------------------------------------------------------
-- A sees exactly its own rows (unfiltered select through the parent): "own/other" counts.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$
    SELECT count(*) FILTER (WHERE municipality_code = '131016') || '/' || count(*) FILTER (WHERE municipality_code <> '131016') FROM vrs.person$q$),
    '1/0', 'A, unfiltered, sees its own person and no other');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$
    SELECT count(*) FILTER (WHERE municipality_code = '131016') || '/' || count(*) FILTER (WHERE municipality_code <> '131016') FROM vrs.coupon$q$),
    '1/0', 'A, unfiltered, sees its own coupon and no other');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$
    SELECT count(*) FILTER (WHERE municipality_code = '131016') || '/' || count(*) FILTER (WHERE municipality_code <> '131016') FROM vrs.vaccination$q$),
    '1/0', 'A, unfiltered, sees its own vaccination and no other');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$
    SELECT count(*) FILTER (WHERE municipality_code = '131016') || '/' || count(*) FILTER (WHERE municipality_code <> '131016') FROM vrs.provision_record$q$),
    '1/0', 'A, unfiltered, sees its own provision record and no other');

-- ---------------------------------------------------------------------------------------------
-- A asks for B's rows explicitly (planner prunes to B's partition; RLS must still filter).
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.person WHERE municipality_code = '011002'$q$), '0',
    'A selecting person WHERE municipality_code = B gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.coupon WHERE municipality_code = '011002'$q$), '0',
    'A selecting coupon WHERE municipality_code = B gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.vaccination WHERE municipality_code = '011002'$q$), '0',
    'A selecting vaccination WHERE municipality_code = B gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.provision_record WHERE municipality_code = '011002'$q$), '0',
    'A selecting provision_record WHERE municipality_code = B gets no row');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.person WHERE person_id = 'bbbbbbbb-0000-4000-8000-000000000001'$q$), '0',
    'A selecting B''s person by its id (no tenant filter) gets no row');

-- ---------------------------------------------------------------------------------------------
-- A writes B's rows.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.person (municipality_code, address_number, individual_number_cipher,
        individual_number_index, key_version, family_name, given_name, family_name_kana,
        given_name_kana, birth_date, sex)
    VALUES ('011002', 'B-0666', '\x00', sha256('B-0666'), 1, '侵入', '者', 'シンニュウ', 'シャ', '1970-01-01', 'U')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "person"',
    'A inserting a person for B is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-000000000001', '2000000666', 1)$q$)$t$,
    '42501', 'new row violates row-level security policy for table "coupon"',
    'A inserting a coupon for B is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.vaccination (municipality_code, dose, vaccinated_on, product_code, lot_number, source)
    VALUES ('011002', 2, '2021-08-01', 'pfizer-comirnaty', 'X', 'staff')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "vaccination"',
    'A inserting a vaccination for B is refused by RLS (42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.provision_record (municipality_code, requester_code, provider_code, outcome)
    VALUES ('011002', '131016', '011002', 'found')$q$)$t$,
    '42501', 'permission denied for table provision_record',
    'A inserting a provision record for B is refused: permission denied (42501; no INSERT privilege since 0013)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.provision_record (municipality_code, requester_code, provider_code, outcome)
    VALUES ('131016', '131016', '011002', 'found')$q$)$t$,
    '42501', 'permission denied for table provision_record',
    'A inserting a provision record of its own is refused too: permission denied (42501; only the door writes them)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_owner', '131016', $q$
    INSERT INTO vrs.provision_record (municipality_code, requester_code, provider_code, outcome)
    VALUES ('011002', '131016', '011002', 'found')$q$)$t$,
    '42501', 'new row violates row-level security policy for table "provision_record"',
    'even the owner bound to A cannot write a provision record into B (RLS WITH CHECK, 42501)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    UPDATE vrs.coupon SET municipality_code = '011002' WHERE municipality_code = '131016'$q$)$t$,
    '42501', 'new row violates row-level security policy for table "coupon"',
    'A moving its own coupon into B is refused by RLS (42501)');

SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.person SET family_name = '改ざん' WHERE municipality_code = '011002'$q$), '0',
    'A updating B''s persons affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.coupon SET status = 'void' WHERE municipality_code = '011002'$q$), '0',
    'A updating B''s coupons affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.vaccination SET lot_number = 'FORGED' WHERE municipality_code = '011002'$q$),
    'error 42501: permission denied for table vaccination',
    'A cannot update B''s vaccinations, nor its own: since 0012 doses change only through the correction doors');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$UPDATE vrs.person SET family_name = '改ざん' WHERE person_id = 'bbbbbbbb-0000-4000-8000-000000000001'$q$), '0',
    'A updating B''s person by id (no tenant filter) affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$DELETE FROM vrs.vaccination WHERE municipality_code = '011002'$q$), 'error 42501: permission denied for table vaccination',
    'A cannot delete B''s vaccinations (nobody deletes a dose since 0012)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$DELETE FROM vrs.coupon WHERE municipality_code = '011002'$q$), 'error 42501: permission denied for table coupon',
    'A cannot delete B''s coupons (nobody deletes a coupon since 0012)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$DELETE FROM vrs.person WHERE municipality_code = '011002'$q$), 'error 42501: permission denied for table person',
    'A cannot delete B''s persons (nobody deletes a registration since 0012)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$DELETE FROM vrs.provision_record WHERE municipality_code = '011002'$q$)$t$,
    '42501', NULL, 'A deleting provision records is refused (no privilege, append-only for callers)');

SELECT is(
    (SELECT jsonb_agg(row ORDER BY t) FROM (
        SELECT 'person' AS t, to_jsonb(p) AS row FROM vrs.person p WHERE municipality_code = '011002'
        UNION ALL SELECT 'coupon', to_jsonb(c) FROM vrs.coupon c WHERE municipality_code = '011002'
        UNION ALL SELECT 'vaccination', to_jsonb(v) FROM vrs.vaccination v WHERE municipality_code = '011002'
        UNION ALL SELECT 'provision_record', to_jsonb(r) FROM vrs.provision_record r WHERE municipality_code = '011002') now),
    (SELECT jsonb_agg(row ORDER BY t) FROM b_before),
    'superuser check: B''s rows are unchanged after A''s attempts');

-- ---------------------------------------------------------------------------------------------
-- Partitions are unreachable, B's and A's own alike.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', 'SELECT * FROM vrs.person_p011002')$t$,
    '42501', 'permission denied for table person_p011002',
    'A selecting B''s partition person_p011002 directly: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', 'SELECT * FROM vrs.person_p131016')$t$,
    '42501', 'permission denied for table person_p131016',
    'A selecting its own partition person_p131016 directly: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', 'SELECT * FROM vrs.vaccination_p011002')$t$,
    '42501', 'permission denied for table vaccination_p011002',
    'A selecting B''s partition vaccination_p011002 directly: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.coupon_p131016 (municipality_code, person_id, coupon_number, kind)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-000000000001', '1000000002', 1)$q$)$t$,
    '42501', 'permission denied for table coupon_p131016',
    'A inserting into its own partition coupon_p131016 directly: permission denied');

-- ---------------------------------------------------------------------------------------------
-- No tenant bound on a used connection (setting is '' now), and a malformed setting.
-- ---------------------------------------------------------------------------------------------
SELECT is(current_setting('vrs.municipality', true), '', 'precondition: the setting is now '''' (as on a pooled connection)');
SELECT is(pg_temp.value_as('vrs_municipal', NULL, $q$
    SELECT (SELECT count(*) FROM vrs.person) + (SELECT count(*) FROM vrs.coupon)
         + (SELECT count(*) FROM vrs.vaccination) + (SELECT count(*) FROM vrs.provision_record)$q$),
    '0', 'no tenant bound: vrs_municipal sees no row in person, coupon, vaccination, provision_record');
SELECT is(pg_temp.rows_as('vrs_municipal', NULL,
    $q$SELECT * FROM vrs.person WHERE municipality_code = '131016'$q$), '0',
    'no tenant bound: vrs_municipal sees no person even with municipality_code = A');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', NULL, $q$
    INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind)
    VALUES ('131016', 'aaaaaaaa-0000-4000-8000-000000000001', '1000000003', 1)$q$)$t$,
    '42501', 'new row violates row-level security policy for table "coupon"',
    'no tenant bound: inserting a coupon for A is refused by RLS');
SELECT is(pg_temp.rows_as('vrs_municipal', NULL,
    $q$UPDATE vrs.person SET family_name = 'x' WHERE municipality_code = '131016'$q$), '0',
    'no tenant bound: updating A''s persons affects 0 rows');
SELECT is(pg_temp.rows_as('vrs_municipal', '1310169',
    $q$SELECT * FROM vrs.person$q$), '0',
    'malformed tenant ''1310169'' is not truncated to A: no row visible');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.person$q$), '1',
    'control: bound to A again, A''s person is visible');

-- ---------------------------------------------------------------------------------------------
-- The tenant registry.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT string_agg(code, ',' ORDER BY code) FROM vrs.municipality$q$),
    '131016', 'A sees only its own row in vrs.municipality');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016',
    $q$SELECT string_agg(code, ',' ORDER BY code) FROM vrs.municipality$q$)$t$,
    '42501', 'permission denied for table municipality',
    'a device cannot read the registry, not even bound to A (0009: no table grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.municipality SET key_version = 2 WHERE code = '011002'$q$)$t$,
    '42501', 'permission denied for table municipality', 'A cannot update B''s key_version (no grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.municipality SET key_version = 2 WHERE code = '131016'$q$)$t$,
    '42501', 'permission denied for table municipality', 'A can no longer bump its own key_version (owner only)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016',
    $q$UPDATE vrs.municipality SET key_version = 2 WHERE code = '131016'$q$)$t$,
    '42501', 'permission denied for table municipality', 'A''s admin cannot bump A''s key_version either');
SELECT is((SELECT string_agg(code || ':' || key_version, ',' ORDER BY code) FROM vrs.municipality),
    '011002:1,131016:1', 'superuser check: no key_version changed');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.municipality SET status = 'suspended' WHERE code = '131016'$q$)$t$,
    '42501', NULL, 'A cannot update any other column of its own registry row (status)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$INSERT INTO vrs.municipality (code, name, prefecture, kind) VALUES ('131041', '新宿区', '東京都', 'special_ward')$q$)$t$,
    '42501', NULL, 'A cannot insert into the tenant registry');

-- ---------------------------------------------------------------------------------------------
-- Wrapped keys.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.rows_as('vrs_municipal', '131016',
    $q$SELECT * FROM vrs.municipality_key WHERE municipality_code = '011002'$q$), '0',
    'A cannot read B''s keys');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT string_agg(municipality_code || '/' || purpose || '/' || version || '/' || encode(wrapped, 'hex'), ',' ORDER BY purpose)
         FROM vrs.municipality_key$q$),
    '131016/data/1/0a01,131016/index/1/0a02', 'A reads exactly its own two wrapped keys');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id)
    VALUES ('011002', 'data', 2, '\x66', 'evil')$q$)$t$,
    '42501', 'permission denied for table municipality_key',
    'A cannot add a key for B (no INSERT grant)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id)
    VALUES ('131016', 'data', 2, '\x0a03', 'test-master')$q$)$t$,
    '42501', 'permission denied for table municipality_key',
    'A can no longer add a version of its own data key (owner only)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id)
    VALUES ('131016', 'data', 2, '\x0a03', 'test-master')$q$)$t$,
    '42501', 'permission denied for table municipality_key',
    'A''s admin cannot add a key either');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016',
    $q$UPDATE vrs.municipality_key SET wrapped = '\x00' WHERE municipality_code = '131016'$q$)$t$,
    '42501', NULL, 'A cannot overwrite (rewrap) its keys: no UPDATE privilege');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016',
    $q$SELECT * FROM vrs.municipality_key$q$)$t$,
    '42501', NULL, 'a device cannot read keys at all');
SELECT is((SELECT string_agg(municipality_code || '/' || purpose || '/' || version || '/' || encode(wrapped, 'hex'), ',' ORDER BY municipality_code, purpose)
             FROM vrs.municipality_key),
    '011002/data/1/0b01,011002/index/1/0b02,131016/data/1/0a01,131016/index/1/0a02',
    'superuser check: the key rows are exactly those provisioning wrote');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016',
    $q$SELECT * FROM vrs.person$q$)$t$,
    '42501', NULL, 'a device cannot read persons at all');

SELECT * FROM finish();
ROLLBACK;
