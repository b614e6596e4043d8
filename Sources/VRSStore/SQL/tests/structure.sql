-- structure.sql: catalog-level proofs of the isolation design (they hold for every table and
-- function, including those later migrations add, because they query the catalog).
--
-- With two municipalities provisioned (A = 131016, B = 011002), proves that:
--   * every partitioned table of schema vrs (from pg_partitioned_table) has RLS enabled AND forced,
--     is LIST-partitioned by municipality_code, has no DEFAULT partition; every other table of vrs
--     except the reference and settings tables (municipality_directory, vaccine_product,
--     dose_interval_rule, schema_migration, and 0013's inquiry_purpose, inquiry_allowance,
--     inquiry_guard) has RLS enabled and forced too;
--   * no partition has any privilege (table or column) granted to anyone but its owner, and every
--     partition is owned by vrs_owner; a row for an unprovisioned municipality cannot be stored even
--     by a superuser (no partition to take it);
--   * every coupon and vaccination partition has a validated foreign key (municipality_code,
--     person_id) to the person partition of its own municipality, and no key references the
--     partitioned parent vrs.person (0004); even a superuser cannot store a coupon or vaccination
--     whose person is in another municipality or does not exist (23503);
--   * the whole grant matrix of schema vrs (tables, columns, functions, schema) is exactly the
--     designed one of 0001-0015, and PUBLIC has nothing: vrs_auth holds no table or column
--     privilege (only the auth_* doors), vrs_device holds no table privilege and executes only
--     tablet_record_vaccination (0009), vrs_worker holds no table privilege and executes only
--     claim_transfer_batch, release_transfer_batch and purge_transfer_batches (0013),
--     vrs_operator reads accounts and sessions without secrets and of the transfers only the
--     daily counts (provision_daily), and writes no account, session or key row (only its
--     doors), staff (vrs_municipal) read provision records but no longer write them (0013: the
--     door vrs.inquire_transfer alone writes them), staff read
--     accounts, sessions and devices without secrets and write none of them, admins
--     (vrs_municipal_admin) write only the listed account, session and device columns, nobody
--     but the owner writes municipality_key or municipality.key_version; every function of vrs
--     is listed with exactly its grantees, the owner-only ones (append_audit_event_in,
--     audit_event_digest_v2, operator_of, store_vaccination, parse_coupon_code, the guards,
--     check_inquiry_route, check_inquiry_lock, current_registration, lock_audit_chains, ...) with none; no caller role (inherited privileges included) can SELECT a password hash, TOTP
--     secret or token hash; the policies of vrs are exactly the designed ones (none for vrs_auth
--     or vrs_device or vrs_worker, read-only ones for the operator, the owner's door policies
--     bound to one municipality on person, coupon, vaccination, provision_record,
--     transfer_batch_line and inquiry_lock);
--   * vrs_app, vrs_municipal, vrs_municipal_admin, vrs_operator, vrs_device, vrs_auth, vrs_worker
--     (and vrs_owner) are not superuser and have no BYPASSRLS; none of the seven owns any object;
--     vrs_app can log in, is NOINHERIT, is a member of exactly the six caller roles (not of vrs_owner),
--     plans custom by default, and by itself (USAGE on schema vrs, 0009) can execute exactly the
--     three token-checking doors (tablet_record_vaccination, auth_session, auth_device) and still
--     reads no table; it can SET ROLE to a caller role but not to vrs_owner; vrs_municipal_admin
--     is a member of vrs_municipal (inheriting) and of nothing else, and no other caller role can
--     become another;
--   * every SECURITY DEFINER function of vrs has search_path fixed to pg_catalog, vrs, pg_temp;
--     those that touch partitioned tables force custom plans; the session and device guards are
--     not SECURITY DEFINER and fire BEFORE the writes they check; no function reading the tenant
--     setting is IMMUTABLE, and vrs.current_municipality() is STABLE and inlinable.
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
    $$VALUES ('person'), ('coupon'), ('vaccination'), ('provision_record'), ('audit_event'), ('record_change'),
             ('transfer_batch_line')$$,
    'the seven personal-data/audit/history/batch tables are partitioned (the checks below are not vacuous)');
SELECT is_empty('SELECT relname FROM vrs_partitioned WHERE NOT (relrowsecurity AND relforcerowsecurity)',
    'every partitioned table of vrs has row-level security enabled AND forced');
SELECT is_empty($$SELECT relname FROM vrs_partitioned WHERE partstrat <> 'l' OR partkey <> ARRAY['municipality_code']::name[]$$,
    'every partitioned table of vrs is LIST-partitioned by municipality_code alone');
SELECT is_empty('SELECT relname FROM vrs_partitioned WHERE partdefid <> 0',
    'no partitioned table of vrs has a DEFAULT partition');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
     WHERE c.relnamespace = 'vrs'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname NOT IN ('municipality_directory', 'vaccine_product', 'dose_interval_rule', 'schema_migration',
                             'inquiry_purpose', 'inquiry_allowance', 'inquiry_guard')
       AND NOT (c.relrowsecurity AND c.relforcerowsecurity)$$,
    'every other table of vrs except the reference and settings tables has RLS enabled and forced (import_receipt of 0010, transfer_batch, inquiry_lock, inquiry_tally, provision_daily of 0013, issuer_key and certificate_revocation of 0014 included)');
SELECT throws_ok($$INSERT INTO vrs.provision_record (municipality_code, requester_code, provider_code, outcome) VALUES ('131041', '131016', '131041', 'found')$$,
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
     CROSS JOIN (VALUES ('vrs_app'), ('vrs_municipal'), ('vrs_municipal_admin'), ('vrs_operator'), ('vrs_device'), ('vrs_auth'),
                        ('vrs_worker'), ('vrs_viewer')) r(rolname)
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
            WHERE i.inhparent IN ('vrs.coupon'::regclass, 'vrs.vaccination'::regclass, 'vrs.certificate'::regclass)),
    6::bigint, 'two provisioned municipalities: coupon, vaccination and certificate have two partitions each (the check below is not vacuous)');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE i.inhparent IN ('vrs.coupon'::regclass, 'vrs.vaccination'::regclass, 'vrs.certificate'::regclass)
       AND NOT EXISTS (
           SELECT 1 FROM vrs_person_fk f
            WHERE f.child = c.relname AND f.convalidated
              AND f.ref = 'vrs.person_p' || right(c.relname, 6)
              AND f.cols = ARRAY['municipality_code', 'person_id']::name[]
              AND f.refcols = ARRAY['municipality_code', 'person_id']::name[])$$,
    'every coupon_p*/vaccination_p*/certificate_p* partition has a validated key (municipality_code, person_id) to the person_p* partition of its municipality');
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
-- The grant matrix of schema vrs, exactly (0001-0013; since 0012 staff update doses only
-- through the correction doors, nobody deletes a person, coupon or dose, and the history is
-- read-only; since 0013 provision records are written by vrs.inquire_transfer alone, staff read
-- batches and the purposes, admins the inquiry locks, the operator the daily counts only, and the
-- allow-list, the guard's settings and its tally are nobody's but the owner's). Account, session
-- and device carry column grants only (no role reads a password hash, TOTP secret or token hash);
-- vrs_auth, vrs_worker and (since 0009) vrs_device have nothing on any table; the key rows are
-- written by the owner alone.
-- ---------------------------------------------------------------------------------------------
SELECT set_eq($$
    SELECT c.relname::text, coalesce(r.rolname, 'PUBLIC')::text, a.privilege_type::text
      FROM pg_class c, aclexplode(c.relacl) a
      LEFT JOIN pg_roles r ON r.oid = a.grantee
     WHERE c.relnamespace = 'vrs'::regnamespace AND a.grantee <> c.relowner$$,
    $$VALUES ('municipality_directory', 'vrs_municipal', 'SELECT'), ('municipality_directory', 'vrs_operator', 'SELECT'),
             ('vaccine_product', 'vrs_municipal', 'SELECT'), ('vaccine_product', 'vrs_operator', 'SELECT'),
             ('dose_interval_rule', 'vrs_municipal', 'SELECT'),
             ('municipality', 'vrs_municipal', 'SELECT'), ('municipality', 'vrs_operator', 'SELECT'),
             ('municipality_key', 'vrs_municipal', 'SELECT'),
             ('person', 'vrs_municipal', 'SELECT'), ('person', 'vrs_municipal', 'INSERT'),
             ('person', 'vrs_municipal', 'UPDATE'),
             ('coupon', 'vrs_municipal', 'SELECT'), ('coupon', 'vrs_municipal', 'INSERT'),
             ('coupon', 'vrs_municipal', 'UPDATE'),
             ('vaccination', 'vrs_municipal', 'SELECT'), ('vaccination', 'vrs_municipal', 'INSERT'),
             ('record_change', 'vrs_municipal', 'SELECT'),
             ('provision_record', 'vrs_municipal', 'SELECT'),
             ('inquiry_purpose', 'vrs_municipal', 'SELECT'), ('inquiry_lock', 'vrs_municipal_admin', 'SELECT'),
             ('transfer_batch', 'vrs_municipal', 'SELECT'), ('transfer_batch_line', 'vrs_municipal', 'SELECT'),
             ('certificate', 'vrs_municipal', 'SELECT'), ('certificate', 'vrs_municipal', 'INSERT'),
             ('provision_daily', 'vrs_operator', 'SELECT'),
             ('audit_event', 'vrs_municipal', 'SELECT'), ('audit_event', 'vrs_operator', 'SELECT'),
             ('import_receipt', 'vrs_municipal', 'SELECT'), ('import_receipt', 'vrs_municipal', 'INSERT'),
             ('schema_migration', 'vrs_municipal', 'SELECT'), ('schema_migration', 'vrs_operator', 'SELECT'),
             ('account_request', 'vrs_operator', 'SELECT')$$,
    'table privileges in schema vrs are exactly the designed matrix (parents only, nothing to PUBLIC nor to vrs_device or vrs_worker; none on account, session, device, sign_in_throttle, inquiry_allowance, inquiry_guard, inquiry_tally, issuer_key, certificate_revocation)');
SELECT set_eq($$
    SELECT c.relname::text, t.attname::text, coalesce(r.rolname, 'PUBLIC')::text, a.privilege_type::text
      FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a
      LEFT JOIN pg_roles r ON r.oid = a.grantee
     WHERE c.relnamespace = 'vrs'::regnamespace AND a.grantee <> c.relowner$$,
    $$SELECT 'account' AS tbl, c AS col, r AS grantee, 'SELECT' AS priv
        FROM unnest(ARRAY['user_id', 'role', 'municipality_code', 'display_name', 'must_change_password', 'failed_attempts',
                          'locked_until', 'locked', 'created_at', 'updated_at', 'password_changed_at',
                          'locked_by_operator']) c,
             unnest(ARRAY['vrs_operator', 'vrs_municipal']) r
      UNION ALL
      SELECT 'account', 'prefecture_code', 'vrs_operator', 'SELECT'
      UNION ALL
      SELECT 'account', c, 'vrs_municipal_admin', 'INSERT'
        FROM unnest(ARRAY['user_id', 'role', 'municipality_code', 'display_name', 'password_hash', 'must_change_password']) c
      UNION ALL
      SELECT 'account', c, 'vrs_municipal_admin', 'UPDATE'
        FROM unnest(ARRAY['password_hash', 'must_change_password', 'failed_attempts', 'locked_until', 'locked', 'updated_at',
                          'password_changed_at', 'display_name']) c
      UNION ALL
      SELECT 'session', c, r, 'SELECT'
        FROM unnest(ARRAY['user_id', 'role', 'municipality_code', 'created_at', 'last_seen_at', 'expires_at', 'revoked_at',
                          'client_address']) c,
             unnest(ARRAY['vrs_operator', 'vrs_municipal']) r
      UNION ALL
      SELECT 'session', 'revoked_at', 'vrs_municipal_admin', 'UPDATE'
      UNION ALL
      SELECT 'device', c, 'vrs_municipal', 'SELECT'
        FROM unnest(ARRAY['device_id', 'municipality_code', 'label', 'created_by', 'created_at', 'revoked_at', 'last_seen_at']) c
      UNION ALL
      SELECT 'device', c, 'vrs_municipal_admin', 'INSERT'
        FROM unnest(ARRAY['device_id', 'municipality_code', 'label', 'token_hash', 'created_by']) c
      UNION ALL
      SELECT 'device', 'revoked_at', 'vrs_municipal_admin', 'UPDATE'$$,
    'column privileges in schema vrs are exactly the account, session and device columns of 0006 (no secret, no token hash, nothing to vrs_auth, no key column)');
SELECT is_empty($$
    SELECT c.relname, t.attname, r FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid AND t.attnum > 0,
           unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer', 'vrs_app']) r
     WHERE c.oid IN ('vrs.account'::regclass, 'vrs.session'::regclass, 'vrs.device'::regclass)
       AND t.attname IN ('password_hash', 'totp_secret', 'token_hash')
       AND has_column_privilege(r, c.oid, t.attnum, 'SELECT')$$,
    'no caller role (nor vrs_app) can SELECT a password hash, TOTP secret or token hash, inherited privileges included');
SELECT set_eq($$
    SELECT p.proname::text, coalesce(r.rolname, 'PUBLIC')::text
      FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
      LEFT JOIN pg_roles r ON r.oid = a.grantee
     WHERE p.pronamespace = 'vrs'::regnamespace AND a.grantee <> p.proowner$$,
    $$VALUES ('current_municipality', 'vrs_municipal'), ('current_municipality', 'vrs_operator'),
             ('provision_municipality', 'vrs_operator'),
             ('append_audit_event', 'vrs_municipal'), ('append_audit_event', 'vrs_operator'),
             ('append_audit_event', 'vrs_auth'),
             ('audit_chain_heads', 'vrs_operator'), ('audit_chain_hashes_at', 'vrs_operator'),
             ('auth_find_account', 'vrs_auth'), ('auth_address_blocked', 'vrs_auth'),
             ('auth_record_failure', 'vrs_auth'), ('auth_open_session', 'vrs_auth'),
             ('auth_session', 'vrs_auth'), ('auth_revoke_session', 'vrs_auth'),
             ('auth_change_password', 'vrs_auth'), ('auth_device', 'vrs_auth'),
             ('auth_session', 'vrs_app'), ('auth_device', 'vrs_app'),
             ('create_first_admin', 'vrs_operator'), ('request_account', 'vrs_operator'),
             ('approve_account_request', 'vrs_operator'), ('operator_set_locked', 'vrs_operator'),
             ('tablet_record_vaccination', 'vrs_device'), ('tablet_record_vaccination', 'vrs_app'),
             ('staff_record_vaccination', 'vrs_municipal'), ('link_pending_vaccinations', 'vrs_municipal'),
             ('void_vaccination', 'vrs_municipal'), ('amend_vaccination', 'vrs_municipal'),
             ('move_vaccination', 'vrs_municipal'), ('hand_over_vaccination', 'vrs_municipal'),
             ('merge_person', 'vrs_municipal'),
             ('inquiry_index_keys', 'vrs_municipal'), ('inquire_transfer', 'vrs_municipal'),
             ('create_transfer_batch', 'vrs_municipal'), ('transfer_batch_lines', 'vrs_municipal'),
             ('clear_inquiry_lock', 'vrs_municipal_admin'),
             ('claim_transfer_batch', 'vrs_worker'), ('release_transfer_batch', 'vrs_worker'),
             ('purge_transfer_batches', 'vrs_worker'),
             ('issuer_public_keys', 'vrs_app'), ('issuer_revocations', 'vrs_app'), ('issuer_signing_key', 'vrs_municipal'),
             ('revoke_certificate', 'vrs_municipal_admin'),
             ('create_viewer', 'vrs_operator'),
             ('vaccination_statistics', 'vrs_operator'), ('vaccination_statistics', 'vrs_viewer'),
             ('vaccination_statistics', 'vrs_municipal'),
             ('statistics_scope', 'vrs_operator'), ('statistics_scope', 'vrs_viewer'), ('statistics_scope', 'vrs_municipal'),
             ('statistics_age_bands', 'vrs_operator'), ('statistics_age_bands', 'vrs_viewer'),
             ('statistics_age_bands', 'vrs_municipal'),
             ('record_statistics_read', 'vrs_operator'), ('record_statistics_read', 'vrs_viewer'),
             ('record_statistics_read', 'vrs_municipal')$$,
    'EXECUTE in schema vrs is exactly the designed matrix (nothing to PUBLIC; vrs_device only the tablet door; vrs_worker only claim, release and purge; vrs_app only the three token-checking doors and the public issuer keys and revocations)');
SELECT set_eq($$
    SELECT p.proname::text FROM pg_proc p
     WHERE p.pronamespace = 'vrs'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee <> p.proowner)$$,
    $$VALUES ('create_municipality_partitions'), ('audit_event_refuse_change'), ('audit_event_digest'),
             ('verify_audit_chain'), ('audit_chains'), ('audit_event_digest_v2'), ('append_audit_event_in'),
             ('session_max_lifetime'), ('session_guard'), ('device_guard'), ('operator_of'), ('audit_operator_action'),
             ('account_ends_sessions'), ('store_vaccination'), ('parse_coupon_code'), ('notify_revocation'),
             ('review_flags'), ('correction_begin'), ('correction_end'), ('correction_dose'),
             ('trace_record_change'), ('record_change_refuse'), ('check_dose_fields'),
             ('check_inquiry_route'), ('check_inquiry_lock'), ('current_registration'), ('provision_record_refuse'),
             ('lock_audit_chains'), ('dose_tally_mark_built'), ('age_band'), ('tally_add'), ('tally_dose'),
             ('tally_vaccination'), ('tally_person'), ('tally_inserted_doses'), ('rebuild_dose_tally'), ('set_statistics_age_bands'),
             ('statistics_caller')$$,
    'exactly these functions of vrs are executable by the owner alone (EXECUTE granted to nobody)');
SELECT set_eq($$
    SELECT coalesce(r.rolname, 'PUBLIC')::text, a.privilege_type::text
      FROM pg_namespace n, aclexplode(n.nspacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
     WHERE n.nspname = 'vrs' AND a.grantee <> n.nspowner$$,
    $$VALUES ('vrs_municipal', 'USAGE'), ('vrs_municipal_admin', 'USAGE'), ('vrs_operator', 'USAGE'), ('vrs_device', 'USAGE'),
             ('vrs_auth', 'USAGE'), ('vrs_worker', 'USAGE'), ('vrs_viewer', 'USAGE'), ('vrs_app', 'USAGE')$$,
    'schema vrs: USAGE for the seven caller roles and vrs_app (to name its three doors) only, CREATE for nobody but the owner');
SELECT is_empty($$
    SELECT r FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth',
                               'vrs_worker', 'vrs_viewer']) r
     WHERE has_schema_privilege(r, 'public', 'USAGE') OR has_schema_privilege(r, 'public', 'CREATE')$$,
    'no vrs role can use schema public');

-- ---------------------------------------------------------------------------------------------
-- Roles.
-- ---------------------------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM pg_roles WHERE rolname IN ('vrs_owner', 'vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth',
                                                         'vrs_worker', 'vrs_viewer')),
    9::bigint, 'the nine vrs roles exist');
SELECT is_empty($$
    SELECT rolname FROM pg_roles
     WHERE rolname IN ('vrs_owner', 'vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth',
                       'vrs_worker', 'vrs_viewer')
       AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb OR rolreplication)$$,
    'no vrs role is superuser or has BYPASSRLS, CREATEROLE, CREATEDB or REPLICATION');
SELECT is_empty($$
    SELECT rolname FROM pg_roles WHERE rolname IN ('vrs_owner', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer') AND rolcanlogin$$,
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
    $$VALUES ('vrs_app', 'vrs_municipal'), ('vrs_app', 'vrs_municipal_admin'), ('vrs_app', 'vrs_operator'),
             ('vrs_app', 'vrs_device'), ('vrs_app', 'vrs_auth'), ('vrs_app', 'vrs_worker'), ('vrs_app', 'vrs_viewer'),
             ('vrs_municipal_admin', 'vrs_municipal')$$,
    'role memberships: vrs_app is a member of exactly the seven caller roles, vrs_municipal_admin of vrs_municipal, and nothing else involves vrs roles');
SELECT is_empty($$
    SELECT 'class ' || relname FROM pg_class WHERE relowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer'))
    UNION ALL SELECT 'proc ' || proname FROM pg_proc WHERE proowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer'))
    UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer'))
    UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer'))
    UNION ALL SELECT 'database ' || datname FROM pg_database WHERE datdba IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer'))
    UNION ALL SELECT 'large object ' || oid FROM pg_largeobject_metadata WHERE lomowner IN (SELECT oid FROM pg_roles WHERE rolname IN ('vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer'))$$,
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
    SELECT r FROM unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_viewer']) r
     WHERE NOT pg_has_role('vrs_app', r, 'MEMBER') OR pg_has_role('vrs_app', r, 'USAGE')$$,
    'vrs_app may SET ROLE to each caller role but does not inherit their privileges');
SELECT ok(pg_has_role('vrs_municipal_admin', 'vrs_municipal', 'USAGE') AND NOT pg_has_role('vrs_municipal', 'vrs_municipal_admin', 'MEMBER'),
    'vrs_municipal_admin inherits what staff (vrs_municipal) may; staff cannot become an admin');
SELECT is_empty($$
    SELECT m || ' -> ' || g
      FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker',
                        'vrs_viewer']) m,
           unnest(ARRAY['vrs_owner', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker',
                        'vrs_viewer']) g
     WHERE m <> g AND NOT (m = 'vrs_app' AND g <> 'vrs_owner')
       AND NOT (m = 'vrs_municipal_admin' AND g = 'vrs_municipal') AND pg_has_role(m, g, 'MEMBER')$$,
    'nobody can become vrs_owner, and no caller role can become another (but an admin is also staff)');

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
       AND proname IN ('provision_municipality', 'create_municipality_partitions', 'append_audit_event', 'verify_audit_chain',
                       'append_audit_event_in', 'audit_chain_hashes_at', 'inquire_transfer', 'create_transfer_batch',
                       'transfer_batch_lines', 'purge_transfer_batches', 'current_registration', 'revoke_certificate',
                       'tally_dose', 'tally_person', 'tally_inserted_doses', 'rebuild_dose_tally')
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
SELECT set_eq($$
    SELECT c.relname::text, p.polname::text, p.polcmd::text,
           (SELECT string_agg(r.rolname, ',' ORDER BY r.rolname) FROM pg_roles r WHERE r.oid = ANY (p.polroles))
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
     WHERE c.relnamespace = 'vrs'::regnamespace$$,
    $$VALUES ('municipality', 'operator_read', 'r', 'vrs_operator'), ('municipality', 'owner_all', '*', 'vrs_owner'),
             ('municipality', 'tenant_read', 'r', 'vrs_municipal'),
             ('municipality_key', 'municipal_read', 'r', 'vrs_municipal'), ('municipality_key', 'owner_all', '*', 'vrs_owner'),
             ('person', 'municipal_own', '*', 'vrs_municipal'), ('coupon', 'municipal_own', '*', 'vrs_municipal'),
             ('vaccination', 'municipal_own', '*', 'vrs_municipal'),
             ('provision_record', 'municipal_read', 'r', 'vrs_municipal'), ('provision_record', 'owner_bound_read', 'r', 'vrs_owner'),
             ('provision_record', 'owner_bound_insert', 'a', 'vrs_owner'),
             ('provision_daily', 'operator_read', 'r', 'vrs_operator'), ('provision_daily', 'owner_all', '*', 'vrs_owner'),
             ('inquiry_lock', 'admin_read', 'r', 'vrs_municipal_admin'), ('inquiry_lock', 'owner_bound', '*', 'vrs_owner'),
             ('inquiry_lock', 'owner_read_all', 'r', 'vrs_owner'),
             ('inquiry_tally', 'owner_all', '*', 'vrs_owner'),
             ('transfer_batch', 'municipal_read', 'r', 'vrs_municipal'), ('transfer_batch', 'owner_all', '*', 'vrs_owner'),
             ('transfer_batch_line', 'municipal_read', 'r', 'vrs_municipal'),
             ('transfer_batch_line', 'owner_bound', '*', 'vrs_owner'),
             ('certificate', 'municipal_read', 'r', 'vrs_municipal'), ('certificate', 'municipal_issue', 'a', 'vrs_municipal'),
             ('certificate', 'owner_bound', '*', 'vrs_owner'),
             ('issuer_key', 'owner_all', '*', 'vrs_owner'), ('certificate_revocation', 'owner_all', '*', 'vrs_owner'),
             ('person', 'owner_bound_read', 'r', 'vrs_owner'), ('coupon', 'owner_bound_read', 'r', 'vrs_owner'),
             ('vaccination', 'owner_bound_read', 'r', 'vrs_owner'), ('vaccination', 'owner_bound_insert', 'a', 'vrs_owner'),
             ('person', 'owner_bound_update', 'w', 'vrs_owner'), ('coupon', 'owner_bound_update', 'w', 'vrs_owner'),
             ('vaccination', 'owner_bound_update', 'w', 'vrs_owner'),
             ('record_change', 'municipal_read', 'r', 'vrs_municipal'), ('record_change', 'owner_bound_insert', 'a', 'vrs_owner'),
             ('import_receipt', 'municipal_read', 'r', 'vrs_municipal'), ('import_receipt', 'municipal_insert', 'a', 'vrs_municipal'),
             ('import_receipt', 'owner_all', '*', 'vrs_owner'),
             ('audit_event', 'municipal_read', 'r', 'vrs_municipal'), ('audit_event', 'operator_read', 'r', 'vrs_operator'),
             ('audit_event', 'owner_append', 'a', 'vrs_owner'), ('audit_event', 'owner_read', 'r', 'vrs_owner'),
             ('audit_chain', 'owner_all', '*', 'vrs_owner'),
             ('account', 'admin_insert', 'a', 'vrs_municipal_admin'), ('account', 'admin_update', 'w', 'vrs_municipal_admin'),
             ('account', 'municipal_read', 'r', 'vrs_municipal'), ('account', 'operator_read', 'r', 'vrs_operator'),
             ('account', 'owner_all', '*', 'vrs_owner'),
             ('session', 'admin_revoke', 'w', 'vrs_municipal_admin'), ('session', 'municipal_read', 'r', 'vrs_municipal'),
             ('session', 'operator_read', 'r', 'vrs_operator'), ('session', 'owner_all', '*', 'vrs_owner'),
             ('device', 'admin_insert', 'a', 'vrs_municipal_admin'), ('device', 'admin_revoke', 'w', 'vrs_municipal_admin'),
             ('device', 'municipal_read', 'r', 'vrs_municipal'), ('device', 'owner_all', '*', 'vrs_owner'),
             ('sign_in_throttle', 'owner_all', '*', 'vrs_owner'),
             ('account_request', 'operator_read', 'r', 'vrs_operator'), ('account_request', 'owner_all', '*', 'vrs_owner'),
             ('statistics_age_band', 'owner_all', '*', 'vrs_owner'), ('statistics_setting', 'owner_all', '*', 'vrs_owner'),
             ('dose_tally', 'owner_all', '*', 'vrs_owner'), ('dose_tally_prefecture', 'owner_all', '*', 'vrs_owner'),
             ('dose_tally_built', 'owner_all', '*', 'vrs_owner')$$,
    'the policies of vrs are exactly these (none for vrs_auth, vrs_device or vrs_worker; the operator only reads accounts, sessions, requests and the daily provision counts; staff only read provision records and batches)');
SELECT set_eq($$
    SELECT t.tgrelid::regclass::text, t.tgname::text, t.tgtype::int, p.prosecdef
      FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE t.tgrelid IN ('vrs.session'::regclass, 'vrs.device'::regclass) AND NOT t.tgisinternal AND t.tgenabled = 'O'$$,
    $$VALUES ('vrs.session', 'session_guard', 1 | 2 | 4 | 16, false), ('vrs.device', 'device_guard', 1 | 2 | 16, false),
             ('vrs.session', 'notify_revocation', 1 | 8 | 16, true), ('vrs.device', 'notify_revocation', 1 | 8 | 16, true)$$,
    'session_guard fires BEFORE INSERT OR UPDATE of each session row, device_guard BEFORE UPDATE of each device row (neither SECURITY DEFINER); notify_revocation AFTER UPDATE OR DELETE of each (0011); all enabled');

SELECT * FROM finish();
ROLLBACK;
