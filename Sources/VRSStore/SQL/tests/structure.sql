-- structure.sql: catalog-level proofs of the isolation design (they hold for every table and
-- function, including those later migrations add, because they query the catalog).
--
-- With two municipalities provisioned (A = 131016, B = 011002), proves that:
--   * every partitioned table of schema vrs (from pg_partitioned_table) has RLS enabled AND forced,
--     is LIST-partitioned by municipality_code, has no DEFAULT partition; every other table of vrs
--     except the reference tables has RLS enabled and forced too;
--   * no partition has any privilege (table or column) granted to anyone but its owner, and every
--     partition is owned by vrs_owner; a row for an unprovisioned municipality cannot be stored even
--     by a superuser (no partition to take it);
--   * every coupon and vaccination partition has a validated foreign key (municipality_code,
--     person_id) to the person partition of its own municipality, and no key references the
--     partitioned parent vrs.person (0004); even a superuser cannot store a coupon or vaccination
--     whose person is in another municipality or does not exist (23503);
--   * the whole grant matrix of schema vrs (tables, columns, functions, schema) is exactly the
--     designed one, and PUBLIC has nothing;
--   * vrs_app, vrs_municipal, vrs_operator, vrs_device, vrs_auth (and vrs_owner) are not superuser
--     and have no BYPASSRLS; none of the five owns any object; vrs_app can log in, is NOINHERIT, is
--     a member of exactly the four caller roles (not of vrs_owner), plans custom by default, and by
--     itself reaches no data; it can SET ROLE to a caller role but not to vrs_owner;
--   * every SECURITY DEFINER function of vrs has search_path fixed to pg_catalog, vrs, pg_temp;
--     those that touch partitioned tables force custom plans; no function reading the tenant
--     setting is IMMUTABLE, and vrs.current_municipality() is STABLE and inlinable.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(48);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')$q$), 'true', 'fixture: provision A');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$), 'true', 'fixture: provision B');

-- ---------------------------------------------------------------------------------------------
-- Partitioned tables: RLS, key, no DEFAULT partition.
-- ---------------------------------------------------------------------------------------------
CREATE TEMP VIEW vrs_partitioned AS
SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity, pt.partstrat, pt.partdefid,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS partkey
  FROM pg_partitioned_table pt
  JOIN pg_class c ON c.oid = pt.partrelid
 WHERE c.relnamespace = 'vrs'::regnamespace;

SELECT set_has('SELECT relname::text FROM vrs_partitioned',
    $$VALUES ('person'), ('coupon'), ('vaccination'), ('provision_record'), ('audit_event')$$,
    'the five personal-data/audit tables are partitioned (the checks below are not vacuous)');
SELECT is_empty('SELECT relname FROM vrs_partitioned WHERE NOT (relrowsecurity AND relforcerowsecurity)',
    'every partitioned table of vrs has row-level security enabled AND forced');
SELECT is_empty($$SELECT relname FROM vrs_partitioned WHERE partstrat <> 'l' OR partkey <> ARRAY['municipality_code']::name[]$$,
    'every partitioned table of vrs is LIST-partitioned by municipality_code alone');
SELECT is_empty('SELECT relname FROM vrs_partitioned WHERE partdefid <> 0',
    'no partitioned table of vrs has a DEFAULT partition');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
     WHERE c.relnamespace = 'vrs'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname NOT IN ('municipality_directory', 'vaccine_product', 'schema_migration')
       AND NOT (c.relrowsecurity AND c.relforcerowsecurity)$$,
    'every other table of vrs except the reference tables has RLS enabled and forced');
SELECT throws_ok($$INSERT INTO vrs.provision_record (municipality_code, requester_code, outcome) VALUES ('131041', '131016', 'found')$$,
    '23514', NULL, 'even a superuser cannot store a row for an unprovisioned municipality (no partition)');

-- ---------------------------------------------------------------------------------------------
-- Partitions: owned by vrs_owner, no grant to anybody.
-- ---------------------------------------------------------------------------------------------
CREATE TEMP VIEW vrs_partition AS
SELECT c.oid, c.relname, c.relowner, c.relacl, c.relkind
  FROM pg_class c
 WHERE c.relispartition AND c.relnamespace = 'vrs'::regnamespace;

SELECT is((SELECT count(*) FROM vrs_partition WHERE relkind = 'r'),
    (SELECT 2 * count(*) + 1 FROM vrs_partitioned), 'two provisioned municipalities + the central audit partition: partitions exist');
SELECT is_empty($$
    SELECT p.relname, a.grantee::regrole, a.privilege_type
      FROM vrs_partition p, aclexplode(p.relacl) a
     WHERE a.grantee <> p.relowner$$,
    'no partition (table or index) has a privilege granted to anyone but its owner');
SELECT is_empty($$
    SELECT p.relname, t.attname, a.grantee::regrole, a.privilege_type
      FROM vrs_partition p JOIN pg_attribute t ON t.attrelid = p.oid, aclexplode(t.attacl) a
     WHERE a.grantee <> p.relowner$$,
    'no partition has a column privilege granted to anyone');
SELECT is_empty($$SELECT relname FROM vrs_partition WHERE relowner <> 'vrs_owner'::regrole$$,
    'every partition is owned by vrs_owner');
SELECT is_empty($$
    SELECT p.relname, r.rolname FROM vrs_partition p
     CROSS JOIN (VALUES ('vrs_app'), ('vrs_municipal'), ('vrs_operator'), ('vrs_device'), ('vrs_auth')) r(rolname)
     WHERE p.relkind IN ('r', 'p')
       AND has_table_privilege(r.rolname, p.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')$$,
    'no caller role (nor vrs_app) has any effective privilege on any partition');

-- ---------------------------------------------------------------------------------------------
-- Foreign keys to the person (0004): partition to partition, never through the partitioned parent.
-- ---------------------------------------------------------------------------------------------
CREATE TEMP VIEW vrs_person_fk AS
SELECT c.relname AS child, k.conname, k.convalidated, k.confrelid::regclass::text AS ref,
       (SELECT array_agg(a.attname ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS cols,
       (SELECT array_agg(a.attname ORDER BY u.ord) FROM unnest(k.confkey) WITH ORDINALITY u(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum) AS refcols
  FROM pg_class c
  JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
 WHERE c.relnamespace = 'vrs'::regnamespace;

SELECT is((SELECT count(*) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
            WHERE i.inhparent IN ('vrs.coupon'::regclass, 'vrs.vaccination'::regclass)),
    4::bigint, 'two provisioned municipalities: coupon and vaccination have two partitions each (the check below is not vacuous)');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE i.inhparent IN ('vrs.coupon'::regclass, 'vrs.vaccination'::regclass)
       AND NOT EXISTS (
           SELECT 1 FROM vrs_person_fk f
            WHERE f.child = c.relname AND f.convalidated
              AND f.ref = 'vrs.person_p' || right(c.relname, 6)
              AND f.cols = ARRAY['municipality_code', 'person_id']::name[]
              AND f.refcols = ARRAY['municipality_code', 'person_id']::name[])$$,
    'every coupon_p*/vaccination_p* partition has a validated key (municipality_code, person_id) to the person_p* partition of its municipality');
SELECT is_empty($$SELECT child, conname FROM vrs_person_fk WHERE ref = 'vrs.person'$$,
    'no foreign key references the partitioned parent vrs.person (every check reads one partition)');
SELECT is_empty($$SELECT child, conname, ref FROM vrs_person_fk
                   WHERE ref LIKE 'vrs.person\_p%' AND right(child, 6) <> right(ref, 6)$$,
    'no partition references the person partition of another municipality');

-- Provisioning again completes a municipality the migration left with a NOT VALID key (lock
-- budget of 0004) or, should it happen, without a key at all.
ALTER TABLE vrs.coupon_p131016 DROP CONSTRAINT coupon_p131016_person_fkey;
ALTER TABLE vrs.coupon_p131016 ADD CONSTRAINT coupon_p131016_person_fkey FOREIGN KEY (municipality_code, person_id)
    REFERENCES vrs.person_p131016 (municipality_code, person_id) NOT VALID;
ALTER TABLE vrs.vaccination_p011002 DROP CONSTRAINT vaccination_p011002_person_fkey;
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')$q$), 'false', 'fixture: provision A again');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$), 'false', 'fixture: provision B again');
SELECT results_eq($$
    SELECT child::text COLLATE "default", ref, convalidated FROM vrs_person_fk
     WHERE child::text IN ('coupon_p131016', 'vaccination_p011002') AND ref LIKE 'vrs.person%' ORDER BY 1$$,
    $$VALUES ('coupon_p131016', 'vrs.person_p131016', true), ('vaccination_p011002', 'vrs.person_p011002', true)$$,
    'provisioning again validates a NOT VALID key to the person partition and adds a missing one');

-- As superuser (no RLS, no tenant bound): the keys alone refuse a coupon or vaccination whose
-- person is in another municipality or does not exist.
INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher,
    individual_number_index, key_version, family_name, given_name, family_name_kana, given_name_kana,
    birth_date, sex)
VALUES ('131016', 'aaaaaaaa-0000-4000-8000-0000000000f1', 'A-0001', '\xa1', sha256('A-0001'), 1,
        '千代田', '太郎', 'チヨダ', 'タロウ', '1950-04-01', 'M'),
       ('011002', 'bbbbbbbb-0000-4000-8000-0000000000f1', 'B-0001', '\xb1', sha256('B-0001'), 1,
        '札幌', '花子', 'サッポロ', 'ハナコ', '1960-05-01', 'F');
SELECT lives_ok($$INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind)
                  VALUES ('131016', 'aaaaaaaa-0000-4000-8000-0000000000f1', '1000000001', 1)$$,
    'a coupon for a person of its own municipality is stored (control)');
SELECT throws_ok($$INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind)
                   VALUES ('131016', 'bbbbbbbb-0000-4000-8000-0000000000f1', '1000000002', 1)$$,
    '23503', NULL, 'a coupon of A for a person that exists only in B is refused (23503), even by a superuser');
SELECT throws_ok($$INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind)
                   VALUES ('131016', 'aaaaaaaa-0000-4000-8000-00000000dead', '1000000003', 1)$$,
    '23503', NULL, 'a coupon for a nonexistent person is refused (23503)');
SELECT throws_ok($$INSERT INTO vrs.vaccination (municipality_code, person_id, dose, vaccinated_on, product_code,
                       lot_number, source)
                   VALUES ('131016', 'bbbbbbbb-0000-4000-8000-0000000000f1', 1, '2021-06-01', 'pfizer-comirnaty',
                           'FA1234', 'staff')$$,
    '23503', NULL, 'a vaccination of A for a person that exists only in B is refused (23503)');
SELECT throws_ok($$UPDATE vrs.coupon SET municipality_code = '011002' WHERE coupon_number = '1000000001'$$,
    '23503', NULL, 'moving a coupon to B while its person stays in A is refused (23503)');
SELECT throws_ok($$DELETE FROM vrs.person WHERE person_id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    '23503', NULL, 'a person still referenced by a coupon cannot be deleted (23503)');

-- ---------------------------------------------------------------------------------------------
-- The grant matrix of schema vrs, exactly.
-- ---------------------------------------------------------------------------------------------
SELECT set_eq($$
    SELECT c.relname::text, coalesce(r.rolname, 'PUBLIC')::text, a.privilege_type::text
      FROM pg_class c, aclexplode(c.relacl) a
      LEFT JOIN pg_roles r ON r.oid = a.grantee
     WHERE c.relnamespace = 'vrs'::regnamespace AND a.grantee <> c.relowner$$,
    $$VALUES ('municipality_directory', 'vrs_municipal', 'SELECT'), ('municipality_directory', 'vrs_operator', 'SELECT'),
             ('municipality_directory', 'vrs_device', 'SELECT'),
             ('vaccine_product', 'vrs_municipal', 'SELECT'), ('vaccine_product', 'vrs_operator', 'SELECT'),
             ('vaccine_product', 'vrs_device', 'SELECT'),
             ('municipality', 'vrs_municipal', 'SELECT'), ('municipality', 'vrs_operator', 'SELECT'),
             ('municipality', 'vrs_device', 'SELECT'),
             ('municipality_key', 'vrs_municipal', 'SELECT'), ('municipality_key', 'vrs_municipal', 'INSERT'),
             ('municipality_key', 'vrs_operator', 'SELECT'),
             ('person', 'vrs_municipal', 'SELECT'), ('person', 'vrs_municipal', 'INSERT'),
             ('person', 'vrs_municipal', 'UPDATE'), ('person', 'vrs_municipal', 'DELETE'),
             ('coupon', 'vrs_municipal', 'SELECT'), ('coupon', 'vrs_municipal', 'INSERT'),
             ('coupon', 'vrs_municipal', 'UPDATE'), ('coupon', 'vrs_municipal', 'DELETE'),
             ('vaccination', 'vrs_municipal', 'SELECT'), ('vaccination', 'vrs_municipal', 'INSERT'),
             ('vaccination', 'vrs_municipal', 'UPDATE'), ('vaccination', 'vrs_municipal', 'DELETE'),
             ('provision_record', 'vrs_municipal', 'SELECT'), ('provision_record', 'vrs_municipal', 'INSERT'),
             ('audit_event', 'vrs_municipal', 'SELECT'), ('audit_event', 'vrs_operator', 'SELECT'),
             ('schema_migration', 'vrs_municipal', 'SELECT'), ('schema_migration', 'vrs_operator', 'SELECT'),
             ('schema_migration', 'vrs_device', 'SELECT'),
             ('account', 'vrs_auth', 'SELECT'), ('account', 'vrs_operator', 'SELECT'),
             ('account', 'vrs_operator', 'INSERT'), ('account', 'vrs_municipal', 'SELECT'),
             ('account', 'vrs_municipal', 'INSERT'),
             ('session', 'vrs_auth', 'SELECT'), ('session', 'vrs_auth', 'INSERT'),
             ('session', 'vrs_operator', 'SELECT'), ('session', 'vrs_municipal', 'SELECT'),
             ('device', 'vrs_auth', 'SELECT'), ('device', 'vrs_municipal', 'SELECT'),
             ('device', 'vrs_municipal', 'INSERT')$$,
    'table privileges in schema vrs are exactly the designed matrix (parents only, nothing to PUBLIC)');
SELECT set_eq($$
    SELECT c.relname::text, t.attname::text, coalesce(r.rolname, 'PUBLIC')::text, a.privilege_type::text
      FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a
      LEFT JOIN pg_roles r ON r.oid = a.grantee
     WHERE c.relnamespace = 'vrs'::regnamespace AND a.grantee <> c.relowner$$,
    $$VALUES ('municipality', 'key_version', 'vrs_municipal', 'UPDATE'),
             ('municipality_key', 'wrapped', 'vrs_operator', 'UPDATE'),
             ('municipality_key', 'master_key_id', 'vrs_operator', 'UPDATE'),
             ('account', 'password_hash', 'vrs_auth', 'UPDATE'), ('account', 'must_change_password', 'vrs_auth', 'UPDATE'),
             ('account', 'totp_last_step', 'vrs_auth', 'UPDATE'), ('account', 'failed_attempts', 'vrs_auth', 'UPDATE'),
             ('account', 'locked_until', 'vrs_auth', 'UPDATE'), ('account', 'updated_at', 'vrs_auth', 'UPDATE'),
             ('account', 'password_changed_at', 'vrs_auth', 'UPDATE'),
             ('account', 'password_hash', 'vrs_operator', 'UPDATE'), ('account', 'must_change_password', 'vrs_operator', 'UPDATE'),
             ('account', 'failed_attempts', 'vrs_operator', 'UPDATE'), ('account', 'locked_until', 'vrs_operator', 'UPDATE'),
             ('account', 'locked', 'vrs_operator', 'UPDATE'), ('account', 'updated_at', 'vrs_operator', 'UPDATE'),
             ('account', 'password_changed_at', 'vrs_operator', 'UPDATE'), ('account', 'totp_secret', 'vrs_operator', 'UPDATE'),
             ('account', 'totp_last_step', 'vrs_operator', 'UPDATE'),
             ('account', 'password_hash', 'vrs_municipal', 'UPDATE'), ('account', 'must_change_password', 'vrs_municipal', 'UPDATE'),
             ('account', 'failed_attempts', 'vrs_municipal', 'UPDATE'), ('account', 'locked_until', 'vrs_municipal', 'UPDATE'),
             ('account', 'locked', 'vrs_municipal', 'UPDATE'), ('account', 'updated_at', 'vrs_municipal', 'UPDATE'),
             ('account', 'password_changed_at', 'vrs_municipal', 'UPDATE'), ('account', 'totp_secret', 'vrs_municipal', 'UPDATE'),
             ('account', 'totp_last_step', 'vrs_municipal', 'UPDATE'), ('account', 'display_name', 'vrs_municipal', 'UPDATE'),
             ('session', 'last_seen_at', 'vrs_auth', 'UPDATE'), ('session', 'revoked_at', 'vrs_auth', 'UPDATE'),
             ('session', 'revoked_at', 'vrs_operator', 'UPDATE'), ('session', 'revoked_at', 'vrs_municipal', 'UPDATE'),
             ('device', 'last_seen_at', 'vrs_auth', 'UPDATE'), ('device', 'revoked_at', 'vrs_municipal', 'UPDATE')$$,
    'column privileges in schema vrs are exactly: municipal key_version; operator rewrap columns; the account, session and device columns of 0003');
SELECT set_eq($$
    SELECT p.proname::text, coalesce(r.rolname, 'PUBLIC')::text
      FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
      LEFT JOIN pg_roles r ON r.oid = a.grantee
     WHERE p.pronamespace = 'vrs'::regnamespace AND a.grantee <> p.proowner$$,
    $$VALUES ('current_municipality', 'vrs_municipal'), ('current_municipality', 'vrs_operator'),
             ('current_municipality', 'vrs_device'),
             ('provision_municipality', 'vrs_operator'),
             ('append_audit_event', 'vrs_municipal'), ('append_audit_event', 'vrs_operator'),
             ('append_audit_event', 'vrs_device'), ('append_audit_event', 'vrs_auth')$$,
    'EXECUTE in schema vrs is exactly the designed matrix (nothing to PUBLIC)');
SELECT set_eq($$
    SELECT coalesce(r.rolname, 'PUBLIC')::text, a.privilege_type::text
      FROM pg_namespace n, aclexplode(n.nspacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
     WHERE n.nspname = 'vrs' AND a.grantee <> n.nspowner$$,
    $$VALUES ('vrs_municipal', 'USAGE'), ('vrs_operator', 'USAGE'), ('vrs_device', 'USAGE'), ('vrs_auth', 'USAGE')$$,
    'schema vrs: USAGE for the caller roles only, CREATE for nobody but the owner');
SELECT is_empty($$
    SELECT r FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth']) r
     WHERE has_schema_privilege(r, 'public', 'USAGE') OR has_schema_privilege(r, 'public', 'CREATE')$$,
    'no vrs role can use schema public');

-- ---------------------------------------------------------------------------------------------
-- Roles.
-- ---------------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM pg_roles WHERE rolname IN ('vrs_owner', 'vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth')),
    6::bigint, 'the six vrs roles exist');
SELECT is_empty($$
    SELECT rolname FROM pg_roles
     WHERE rolname IN ('vrs_owner', 'vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth')
       AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb OR rolreplication)$$,
    'no vrs role is superuser or has BYPASSRLS, CREATEROLE, CREATEDB or REPLICATION');
SELECT is_empty($$
    SELECT rolname FROM pg_roles WHERE rolname IN ('vrs_owner', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth') AND rolcanlogin$$,
    'vrs_owner and the caller roles cannot log in');
SELECT results_eq($$SELECT rolcanlogin, rolinherit, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'vrs_app'$$,
    $$VALUES (true, false, false, false)$$, 'vrs_app: LOGIN, NOINHERIT, not superuser, no BYPASSRLS');
SELECT ok((SELECT 'plan_cache_mode=force_custom_plan' = ANY (setconfig) FROM pg_db_role_setting
             WHERE setrole = 'vrs_app'::regrole AND setdatabase = 0),
    'vrs_app defaults to plan_cache_mode = force_custom_plan');
SELECT set_eq($$
    SELECT m.rolname::text AS member, g.rolname::text AS granted FROM pg_auth_members am
      JOIN pg_roles m ON m.oid = am.member JOIN pg_roles g ON g.oid = am.roleid
     WHERE m.rolname LIKE 'vrs\_%' OR g.rolname LIKE 'vrs\_%'$$,
    $$VALUES ('vrs_app', 'vrs_municipal'), ('vrs_app', 'vrs_operator'), ('vrs_app', 'vrs_device'), ('vrs_app', 'vrs_auth')$$,
    'role memberships: vrs_app is a member of exactly the four caller roles, and nothing else involves vrs roles');
SELECT is_empty($$
    SELECT 'class ' || relname FROM pg_class WHERE relowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth'))
    UNION ALL SELECT 'proc ' || proname FROM pg_proc WHERE proowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth'))
    UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth'))
    UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth'))
    UNION ALL SELECT 'database ' || datname FROM pg_database WHERE datdba IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth'))
    UNION ALL SELECT 'large object ' || oid FROM pg_largeobject_metadata WHERE lomowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth'))$$,
    'vrs_app and the caller roles own no relation, function, schema, type, database or large object');
SELECT is_empty($$
    SELECT 'class ' || relname FROM pg_class WHERE relnamespace = 'vrs'::regnamespace AND relkind <> 'i' AND relowner <> 'vrs_owner'::regrole
    UNION ALL SELECT 'proc ' || proname FROM pg_proc WHERE pronamespace = 'vrs'::regnamespace AND proowner <> 'vrs_owner'::regrole
    UNION ALL SELECT 'schema vrs' FROM pg_namespace WHERE nspname = 'vrs' AND nspowner <> 'vrs_owner'::regrole$$,
    'vrs_owner owns the schema and every table and function in it');

SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_app', '131016', 'SELECT * FROM vrs.person')$t$,
    '42501', NULL, 'vrs_app by itself (no SET ROLE) cannot read vrs.person');
-- (SET ROLE is checked against the session user, a superuser here, so membership is proven from
-- the catalog: MEMBER means "may SET ROLE", USAGE means "holds the privileges without SET ROLE".)
SELECT is_empty($$
    SELECT r FROM unnest(ARRAY['vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth']) r
     WHERE NOT pg_has_role('vrs_app', r, 'MEMBER') OR pg_has_role('vrs_app', r, 'USAGE')$$,
    'vrs_app may SET ROLE to each caller role but does not inherit their privileges');
SELECT is_empty($$
    SELECT m || ' -> ' || g
      FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth']) m,
           unnest(ARRAY['vrs_owner', 'vrs_municipal', 'vrs_operator', 'vrs_device', 'vrs_auth']) g
     WHERE m <> g AND NOT (m = 'vrs_app' AND g <> 'vrs_owner') AND pg_has_role(m, g, 'MEMBER')$$,
    'nobody can become vrs_owner, and no caller role can become another');

-- ---------------------------------------------------------------------------------------------
-- Functions.
-- ---------------------------------------------------------------------------------------------
SELECT cmp_ok((SELECT count(*) FROM pg_proc WHERE pronamespace = 'vrs'::regnamespace AND prosecdef), '>=', 5::bigint,
    'schema vrs has SECURITY DEFINER functions (the check below is not vacuous)');
SELECT is_empty($$
    SELECT proname FROM pg_proc
     WHERE pronamespace = 'vrs'::regnamespace AND prosecdef
       AND NOT coalesce('search_path=pg_catalog, vrs, pg_temp' = ANY (proconfig), false)$$,
    'every SECURITY DEFINER function of vrs has search_path fixed to pg_catalog, vrs, pg_temp');
SELECT is_empty($$
    SELECT proname FROM pg_proc
     WHERE pronamespace = 'vrs'::regnamespace
       AND proname IN ('provision_municipality', 'create_municipality_partitions', 'append_audit_event', 'verify_audit_chain')
       AND NOT coalesce('plan_cache_mode=force_custom_plan' = ANY (proconfig), false)$$,
    'functions touching partitioned tables force custom plans');
SELECT is_empty($$
    SELECT proname FROM pg_proc
     WHERE pronamespace = 'vrs'::regnamespace AND provolatile = 'i'
       AND (prosrc ILIKE '%current_setting%' OR prosrc ILIKE '%current_municipality%')$$,
    'no function of vrs that reads the tenant setting is IMMUTABLE');
SELECT is((SELECT l.lanname::text || '/' || p.provolatile::text || '/' || p.prosecdef::text || '/' || (p.proconfig IS NULL)
             FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid = 'vrs.current_municipality()'::regprocedure),
    'sql/s/false/true',
    'vrs.current_municipality() is SQL, STABLE, not SECURITY DEFINER, no SET clause (inlinable)');
SELECT is_empty($$
    SELECT p.polrelid::regclass, p.polname FROM pg_policy p
     WHERE p.polrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'vrs'::regnamespace)
       AND 0 = ANY (p.polroles)$$,
    'no policy of vrs applies to PUBLIC (every policy names its roles)');

SELECT * FROM finish();
ROLLBACK;
