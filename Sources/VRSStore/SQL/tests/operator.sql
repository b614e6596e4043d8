-- operator.sql: what the central operator may and may not do, and provisioning.
--
-- Proves that:
--   * vrs_operator holds no privilege at all on person, coupon, vaccination, provision_record
--     (catalog check with table_privs_are, and an actual SELECT raising 42501, tenant bound or not);
--   * the operator provisions a municipality: registry row copied from the official directory,
--     the two wrapped keys as version 1, one partition per partitioned table;
--   * provisioning the same code again returns false and changes neither the registry row nor the
--     key rows (even with different key bytes), and recreates a missing partition;
--   * an unknown or malformed code (incl. the central chain key '000000') raises VRS01; a
--     prefecture (130001) or a designated-city ward (011011) raises VRS02; empty keys raise 22023;
--   * vrs_municipal, vrs_municipal_admin, vrs_device, vrs_auth and vrs_app itself cannot execute
--     provision_municipality, and nobody but the owner can execute create_municipality_partitions;
--   * the operator reads every registry row but no wrapped key any more: it holds no privilege on
--     vrs.municipality_key at all (0006), so it can neither read, rewrap (the old wrapped /
--     master_key_id grant), change, insert nor delete keys, nor change a municipality's
--     key_version (42501); the keys are unchanged afterwards (checked as superuser).
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(49);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

-- ---------------------------------------------------------------------------------------------
-- No privilege on personal data.
-- ---------------------------------------------------------------------------------------------
SELECT table_privs_are('vrs', 'person', 'vrs_operator', ARRAY[]::text[], 'vrs_operator has no privilege on vrs.person');
SELECT table_privs_are('vrs', 'coupon', 'vrs_operator', ARRAY[]::text[], 'vrs_operator has no privilege on vrs.coupon');
SELECT table_privs_are('vrs', 'vaccination', 'vrs_operator', ARRAY[]::text[], 'vrs_operator has no privilege on vrs.vaccination');
SELECT table_privs_are('vrs', 'provision_record', 'vrs_operator', ARRAY[]::text[], 'vrs_operator has no privilege on vrs.provision_record');
SELECT is_empty($$
    SELECT a.attname FROM pg_attribute a
     WHERE a.attrelid IN ('vrs.person'::regclass, 'vrs.coupon'::regclass, 'vrs.vaccination'::regclass, 'vrs.provision_record'::regclass)
       AND a.attnum > 0 AND NOT a.attisdropped
       AND has_column_privilege('vrs_operator', a.attrelid, a.attnum, 'SELECT,INSERT,UPDATE,REFERENCES')$$,
    'vrs_operator has no column privilege on any personal-data column');

SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, 'SELECT * FROM vrs.person')$t$,
    '42501', 'permission denied for table person', 'operator SELECT on vrs.person: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, 'SELECT * FROM vrs.coupon')$t$,
    '42501', 'permission denied for table coupon', 'operator SELECT on vrs.coupon: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, 'SELECT * FROM vrs.vaccination')$t$,
    '42501', 'permission denied for table vaccination', 'operator SELECT on vrs.vaccination: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, 'SELECT * FROM vrs.provision_record')$t$,
    '42501', 'permission denied for table provision_record', 'operator SELECT on vrs.provision_record: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', '131016', $q$SELECT * FROM vrs.person WHERE municipality_code = '131016'$q$)$t$,
    '42501', 'permission denied for table person', 'operator SELECT on vrs.person with a tenant bound: still permission denied');

-- ---------------------------------------------------------------------------------------------
-- Provisioning.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')$q$),
    'true', 'operator provisions A (131016): true');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$),
    'true', 'operator provisions B (011002): true');

SELECT results_eq(
    $$SELECT code::text, name, prefecture, kind, key_version, status FROM vrs.municipality ORDER BY code$$,
    $$VALUES ('011002', '札幌市', '北海道', 'designated_city', 1, 'active'),
             ('131016', '千代田区', '東京都', 'special_ward', 1, 'active')$$,
    'registry rows are copied from the official directory');
SELECT results_eq(
    $$SELECT municipality_code::text, purpose, version, wrapped, master_key_id FROM vrs.municipality_key ORDER BY 1, 2$$,
    $$VALUES ('011002', 'data', 1, '\x0b01'::bytea, 'master-1'), ('011002', 'index', 1, '\x0b02'::bytea, 'master-1'),
             ('131016', 'data', 1, '\x0a01'::bytea, 'master-1'), ('131016', 'index', 1, '\x0a02'::bytea, 'master-1')$$,
    'the wrapped data and index keys are stored as version 1');
SELECT set_eq(
    $$SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid::regclass::text LIKE 'vrs.%\_p131016'$$,
    $$SELECT c.oid::regclass::text FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid
       WHERE c.relnamespace = 'vrs'::regnamespace AND NOT c.relispartition$$,
    'A has one partition <table>_p131016 of every partitioned table of schema vrs');
SELECT is(
    (SELECT string_agg(pg_get_expr(c.relpartbound, c.oid), ',') FROM pg_class c WHERE c.oid = 'vrs.person_p131016'::regclass),
    'FOR VALUES IN (''131016'')', 'person_p131016 holds exactly A''s rows');

CREATE TEMP TABLE keys_before AS SELECT * FROM vrs.municipality_key;
CREATE TEMP TABLE registry_before AS SELECT * FROM vrs.municipality;

SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\xff01', '\xff02', 'master-2')$q$),
    'false', 'provisioning A again returns false');
SELECT set_eq('SELECT * FROM vrs.municipality_key', 'SELECT * FROM keys_before',
    'provisioning A again changed no key row');
SELECT set_eq('SELECT * FROM vrs.municipality', 'SELECT * FROM registry_before',
    'provisioning A again changed no registry row');

DROP TABLE vrs.provision_record_p131016;
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')$q$),
    'false', 'provisioning A with a partition missing still returns false');
SELECT is(to_regclass('vrs.provision_record_p131016')::text, 'vrs.provision_record_p131016',
    '... and recreates the missing partition');

SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.provision_municipality('131017', '\x01', '\x02', 'm')$q$)$t$,
    'VRS01', NULL, 'a code that is not in the directory (bad check digit 131017) raises VRS01');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.provision_municipality('999999', '\x01', '\x02', 'm')$q$)$t$,
    'VRS01', NULL, 'unknown code 999999 raises VRS01');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.provision_municipality('000000', '\x01', '\x02', 'm')$q$)$t$,
    'VRS01', NULL, 'the central chain key 000000 cannot be provisioned (VRS01)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.provision_municipality('13101', '\x01', '\x02', 'm')$q$)$t$,
    'VRS01', NULL, 'a malformed (5-digit) code raises VRS01');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.provision_municipality('130001', '\x01', '\x02', 'm')$q$)$t$,
    'VRS02', NULL, 'a prefecture (東京都 130001) raises VRS02');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.provision_municipality('011011', '\x01', '\x02', 'm')$q$)$t$,
    'VRS02', NULL, 'a designated-city ward (札幌市中央区 011011) raises VRS02');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.provision_municipality('131041', '', '\x02', 'm')$q$)$t$,
    '22023', NULL, 'an empty wrapped data key raises 22023');
SELECT is((SELECT count(*) FROM vrs.municipality WHERE code IN ('131017', '130001', '011011', '131041')), 0::bigint,
    'failed provisioning left no registry row');
SELECT is((SELECT count(*) FROM pg_class WHERE relname ~ '_p(131017|130001|011011|131041|000000)$' AND relnamespace = 'vrs'::regnamespace AND relname !~ '^audit_event_p000000'),
    0::bigint, 'failed provisioning left no partition');

SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$SELECT vrs.provision_municipality('131041', '\x01', '\x02', 'm')$q$)$t$,
    '42501', 'permission denied for function provision_municipality', 'vrs_municipal cannot execute provision_municipality');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_device', '131016', $q$SELECT vrs.provision_municipality('131041', '\x01', '\x02', 'm')$q$)$t$,
    '42501', 'permission denied for function provision_municipality', 'vrs_device cannot execute provision_municipality');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal_admin', '131016', $q$SELECT vrs.provision_municipality('131041', '\x01', '\x02', 'm')$q$)$t$,
    '42501', 'permission denied for function provision_municipality', 'vrs_municipal_admin cannot execute provision_municipality');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_auth', NULL, $q$SELECT vrs.provision_municipality('131041', '\x01', '\x02', 'm')$q$)$t$,
    '42501', 'permission denied for function provision_municipality', 'vrs_auth cannot execute provision_municipality');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_app', NULL, $q$SELECT vrs.provision_municipality('131041', '\x01', '\x02', 'm')$q$)$t$,
    '42501', NULL, 'vrs_app itself (NOINHERIT, no SET ROLE) cannot execute provision_municipality');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT vrs.create_municipality_partitions('131016')$q$)$t$,
    '42501', 'permission denied for function create_municipality_partitions', 'operator cannot call create_municipality_partitions directly');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', $q$SELECT vrs.create_municipality_partitions('131016')$q$)$t$,
    '42501', 'permission denied for function create_municipality_partitions', 'vrs_municipal cannot call create_municipality_partitions');

-- ---------------------------------------------------------------------------------------------
-- Registry and keys as the operator.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL, $q$SELECT string_agg(code, ',' ORDER BY code) FROM vrs.municipality$q$),
    '011002,131016', 'operator reads every registry row');
SELECT table_privs_are('vrs', 'municipality_key', 'vrs_operator', ARRAY[]::text[],
    'vrs_operator has no table privilege on vrs.municipality_key');
SELECT ok(NOT has_any_column_privilege('vrs_operator', 'vrs.municipality_key', 'SELECT,INSERT,UPDATE,REFERENCES'),
    'vrs_operator has no column privilege on vrs.municipality_key (the rewrap grant on wrapped, master_key_id is gone)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$SELECT count(*) FROM vrs.municipality_key$q$)$t$,
    '42501', 'permission denied for table municipality_key', 'operator can no longer read the wrapped keys');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$UPDATE vrs.municipality_key SET wrapped = '\xcc' || wrapped, master_key_id = 'master-2'$q$)$t$,
    '42501', 'permission denied for table municipality_key', 'operator can no longer rewrap keys (wrapped, master_key_id)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$UPDATE vrs.municipality_key SET master_key_id = 'master-2'$q$)$t$,
    '42501', 'permission denied for table municipality_key', 'operator can no longer relabel the master key id');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$UPDATE vrs.municipality_key SET version = 9$q$)$t$,
    '42501', NULL, 'operator cannot change a key''s version');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL,
    $q$INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id) VALUES ('131016', 'data', 2, '\x01', 'm')$q$)$t$,
    '42501', NULL, 'operator cannot insert a key');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$DELETE FROM vrs.municipality_key$q$)$t$,
    '42501', NULL, 'operator cannot delete keys');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, $q$UPDATE vrs.municipality SET key_version = 5$q$)$t$,
    '42501', NULL, 'operator cannot change a municipality''s key_version');
SELECT is((SELECT string_agg(encode(wrapped, 'hex') || '@' || master_key_id, ',' ORDER BY municipality_code, purpose) FROM vrs.municipality_key),
    '0b01@master-1,0b02@master-1,0a01@master-1,0a02@master-1', 'superuser check: the keys are as provisioned');
SELECT is((SELECT string_agg(code || ':' || key_version, ',' ORDER BY code) FROM vrs.municipality),
    '011002:1,131016:1', 'superuser check: no key_version changed');

SELECT * FROM finish();
ROLLBACK;
