-- transfers.sql: transfer inquiries between municipalities (0013), proven at the database.
--
-- Fixtures: A = 131016 (千代田区), B = 011002 (札幌市) and C = 012131 (苫小牧市) are provisioned
-- (C after 0013, so its partitions are made by provisioning); 131041 (新宿区) is in the directory
-- but not provisioned. A's staff registers five persons (the people who moved in); B's staff
-- registers B1 (two recorded doses and a third it voids), B2 (moved out, one dose), B3 and B4 (one
-- dose each); C's staff registers C1 (one dose), which B copies onto B3 by an inquiry of its own. The
-- blind index of a number "N-x" is sha256('N-x') here (the server computes an HMAC). This file
-- proves that:
--   * privileges: the new doors are executable exactly by their roles (staff and admins: the
--     inquiry, the index keys and the batch doors; admins alone: clear_inquiry_lock; vrs_worker
--     alone and nothing else: claim, release, purge); the helpers by nobody; the new tables give
--     exactly: staff SELECT on provision_record, transfer_batch, transfer_batch_line and
--     inquiry_purpose, admins SELECT on inquiry_lock, the operator SELECT on provision_daily, and
--     nothing to anybody on inquiry_allowance, inquiry_guard, inquiry_tally; staff can no longer
--     INSERT, and never UPDATE, DELETE or TRUNCATE provision records; device, auth, operator and
--     worker can use no inquiry door; vrs_worker holds no table privilege at all;
--   * the index keys: staff get the provider's wrapped index keys, never a data key; not for their
--     own or an unprovisioned municipality (VRS50);
--   * a single inquiry A -> B: found returns the recorded doses only (not the voided one), with
--     B's coupon numbers, also for a person who moved out; it writes one provision record in each
--     side's partition with the same provision id (no column that could hold the number or its
--     index), one provision_daily count, 'transfer.inquiry' in A's chain and 'transfer.provision'
--     in B's; each side sees only its own copy; with a person of A, the doses are copied into A
--     (source 'transfer', origin municipality, dose and coupon, inquiry id, coupon_number NULL,
--     a history row each), asking again copies nothing; a copy is voided, not amended, here; a
--     copy voided because it was put on the wrong person does not keep the right person from
--     receiving the doses; not_found writes provision rows saying only "not found"; refusals:
--     own municipality, unprovisioned, malformed code (VRS50), unknown or not allowed purpose
--     (VRS53), a person not of A (VRS54), nothing bound (42501), and none of them writes anything;
--   * chains: a copy B received from C is provided under its origin (C's dose id and code);
--   * the guard: per_minute 2 refuses the third single inquiry of a user (VRS51, DETAIL: seconds to
--     wait), not another user's; min_inquiries 3 and ratio 0.5: the third not-found inquiry returns
--     locked, writes the lock and 'transfer.inquiry_locked', then the user's inquiries and batches
--     are refused (VRS52); only admins read the locks, of their own municipality; staff cannot
--     clear a lock, an admin can (true, then false); after the clear the user asks again, and the
--     count of not-found answers starts afresh;
--   * batches: create (VRS50/VRS54 with the line in DETAIL, VRS55, an unknown key version 22023),
--     the worker's claim and lease (a second claim gets nothing), the chunk of the lowest provider
--     (VRS56 for another worker or municipality), each line answered once (VRS57 again or for the
--     wrong provider), the cipher cleared on answer, done when nothing is left; release; claim
--     skips a locked user's batch; purge deletes the lines of an expired batch and marks it;
--   * provision_record is append-only: UPDATE, DELETE, TRUNCATE raise VRS03 even as superuser (and
--     TRUNCATE for the owner, on a partition made after 0013 too); the owner's UPDATE and DELETE
--     reach no row (no policy for them); the three audit chains still verify.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(95);

-- Test helpers pg_temp.exec_as, rows_as, value_as (temporary, gone at ROLLBACK): see _helpers.psql.
\ir _helpers.psql

-- 'SQLSTATE|DETAIL|HINT' of a statement run as a role, or 'no error'.
CREATE FUNCTION pg_temp.diag_as(p_role text, p_code text, p_sql text) RETURNS text
    LANGUAGE plpgsql AS $fn$
DECLARE
    v_state  text;
    v_detail text;
    v_hint   text;
BEGIN
    PERFORM pg_temp.exec_as(p_role, p_code, p_sql);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    RETURN v_state || '|' || coalesce(v_detail, '') || '|' || coalesce(v_hint, '');
END
$fn$;
-- The SQLSTATE alone.
CREATE FUNCTION pg_temp.state_as(p_role text, p_code text, p_sql text) RETURNS text
    LANGUAGE sql AS $fn$ SELECT split_part(pg_temp.diag_as(p_role, p_code, p_sql), '|', 1) $fn$;
-- The statement inquire_transfer as a caller runs: number "N-x" (its blind index sha256('N-x')).
CREATE FUNCTION pg_temp.inquiry_sql(p_provider text, p_number text, p_person uuid, p_actor text, p_purpose text,
                                    p_batch uuid, p_line int) RETURNS text
    LANGUAGE sql AS $fn$
    SELECT format($q$SELECT jsonb_build_object('id', inquiry_id, 'outcome', outcome, 'records', records, 'copied', copied,
                                               'locked', locked)::text
                       FROM vrs.inquire_transfer(%L, ARRAY[sha256(convert_to(%L, 'UTF8'))], %L, %L::uuid, %L, 'req-t',
                                                 %L::uuid, %L::int)$q$,
                  p_provider, p_number, p_purpose, p_person, p_actor, p_batch, p_line)
$fn$;
-- An inquiry as staff of p_code: the answer as jsonb, or {"error": SQLSTATE, "message": ...}.
CREATE FUNCTION pg_temp.ask(p_code text, p_provider text, p_number text, p_person uuid, p_actor text,
                            p_purpose text DEFAULT NULL, p_batch uuid DEFAULT NULL, p_line int DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql AS $fn$
DECLARE
    v text := pg_temp.value_as('vrs_municipal', p_code,
                               pg_temp.inquiry_sql(p_provider, p_number, p_person, p_actor, p_purpose, p_batch, p_line));
BEGIN
    IF v LIKE 'error %' THEN
        RETURN jsonb_build_object('error', substr(v, 7, 5), 'message', v);
    END IF;
    RETURN v::jsonb;
END
$fn$;
-- 'outcome|records|copied|locked' of an answer, or the SQLSTATE of a refusal.
CREATE FUNCTION pg_temp.brief(p_answer jsonb) RETURNS text
    LANGUAGE sql AS $fn$
    SELECT coalesce(p_answer ->> 'error',
                    concat_ws('|', p_answer ->> 'outcome', jsonb_array_length(p_answer -> 'records'), p_answer ->> 'copied',
                              p_answer ->> 'locked'))
$fn$;
-- Answers kept by name, batches by name.
CREATE TEMP TABLE answer (name text PRIMARY KEY, a jsonb NOT NULL);
CREATE FUNCTION pg_temp.id_of(p_name text) RETURNS uuid
    LANGUAGE sql AS $fn$ SELECT (a ->> 'id')::uuid FROM answer WHERE name = p_name $fn$;
CREATE TEMP TABLE batch (name text PRIMARY KEY, id uuid);
CREATE FUNCTION pg_temp.batch_of(p_name text) RETURNS uuid
    LANGUAGE sql AS $fn$ SELECT id FROM batch WHERE name = p_name $fn$;
-- Waits for the next minute when this one is about to end (the rate and the guard count per minute).
CREATE FUNCTION pg_temp.fresh_minute() RETURNS void
    LANGUAGE sql AS $fn$
    SELECT pg_sleep(60.5 - extract(second FROM clock_timestamp())::float8) WHERE extract(second FROM clock_timestamp()) > 50
$fn$;

-- ---------------------------------------------------------------------------------------------
-- Fixtures.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')
          AND vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')
          AND vrs.provision_municipality('012131', '\x0c01', '\x0c02', 'master-1')$q$), 'true', 'fixture: provision A, B and C');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index,
        key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex, moved_in_on)
    SELECT '131016', ('aaaaaaaa-0000-4000-8000-00000000000' || i)::uuid, 'A-000' || i, '\xa1', sha256(convert_to('N-A' || i, 'UTF8')),
           1, '千代田', '転入' || i, 'チヨダ', 'テンニュウ', '1950-04-01', 'M', '2022-04-01'
      FROM generate_series(1, 5) i$q$), '5', 'fixture: A registers five persons who moved in (A1..A5)');
SELECT is(pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index,
        key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex, status, status_effective_on,
        destination_code)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-000000000001', 'B-0001', '\xb1', sha256('N-B1'), 1, '札幌', '一郎', 'サッポロ', 'イチロウ', '1950-04-01', 'M', 'active', NULL, NULL),
           ('011002', 'bbbbbbbb-0000-4000-8000-000000000002', 'B-0002', '\xb2', sha256('N-B2'), 1, '札幌', '二子', 'サッポロ', 'フタコ', '1960-04-01', 'F', 'moved_out', '2022-03-31', '131016'),
           ('011002', 'bbbbbbbb-0000-4000-8000-000000000003', 'B-0003', '\xb3', sha256('N-B3'), 1, '札幌', '三郎', 'サッポロ', 'サブロウ', '1970-04-01', 'M', 'active', NULL, NULL),
           ('011002', 'bbbbbbbb-0000-4000-8000-000000000004', 'B-0004', '\xb4', sha256('N-B4'), 1, '札幌', '四子', 'サッポロ', 'ヨツコ', '1980-04-01', 'F', 'active', NULL, NULL)$q$)
    || pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-000000000001', '2000000001', 1),
           ('011002', 'bbbbbbbb-0000-4000-8000-000000000002', '2000000002', 1),
           ('011002', 'bbbbbbbb-0000-4000-8000-000000000003', '2000000003', 1),
           ('011002', 'bbbbbbbb-0000-4000-8000-000000000004', '2000000004', 1)$q$)
    || pg_temp.rows_as('vrs_municipal', '011002', $q$
    INSERT INTO vrs.vaccination (municipality_code, vaccination_id, person_id, coupon_number, dose, vaccinated_on, product_code,
        lot_number, site_name, doctor_name, source)
    VALUES ('011002', 'bbbbbbbb-0000-4000-8000-0000000000d1', 'bbbbbbbb-0000-4000-8000-000000000001', '2000000001', 1, '2021-06-01', 'pfizer-comirnaty', 'FA1234', '札幌会場', '佐藤', 'staff'),
           ('011002', 'bbbbbbbb-0000-4000-8000-0000000000d2', 'bbbbbbbb-0000-4000-8000-000000000001', '2000000001', 2, '2021-06-22', 'pfizer-comirnaty', 'FA1235', '札幌会場', '佐藤', 'staff'),
           ('011002', 'bbbbbbbb-0000-4000-8000-0000000000d3', 'bbbbbbbb-0000-4000-8000-000000000001', '2000000001', 3, '2021-12-01', 'pfizer-comirnaty', 'FA9999', '札幌会場', '佐藤', 'staff'),
           ('011002', 'bbbbbbbb-0000-4000-8000-0000000000d4', 'bbbbbbbb-0000-4000-8000-000000000002', '2000000002', 1, '2021-07-01', 'moderna-spikevax', '3003456', '札幌会場', '鈴木', 'staff'),
           ('011002', 'bbbbbbbb-0000-4000-8000-0000000000d5', 'bbbbbbbb-0000-4000-8000-000000000003', '2000000003', 1, '2021-08-01', 'pfizer-comirnaty', 'FA2000', '札幌会場', '佐藤', 'staff'),
           ('011002', 'bbbbbbbb-0000-4000-8000-0000000000d7', 'bbbbbbbb-0000-4000-8000-000000000004', '2000000004', 1, '2021-08-15', 'pfizer-comirnaty', 'FA2001', '札幌会場', '佐藤', 'staff')$q$)
    || pg_temp.value_as('vrs_municipal', '011002',
    $q$SELECT vrs.void_vaccination('bbbbbbbb-0000-4000-8000-0000000000d3', 1, '誤登録', 'b.staff', 'req-v')$q$),
    '4462', 'fixture: B registers B1 (two doses, a third voided), B2 (moved out, one dose), B3 and B4 (one dose each)');
SELECT is(pg_temp.rows_as('vrs_municipal', '012131', $q$
    INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index,
        key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex)
    VALUES ('012131', 'cccccccc-0000-4000-8000-000000000001', 'C-0001', '\xc1', sha256('N-C1'), 1, '苫小牧', '一郎', 'トマコマイ', 'イチロウ', '1970-04-01', 'M')$q$)
    || pg_temp.rows_as('vrs_municipal', '012131', $q$
    INSERT INTO vrs.vaccination (municipality_code, vaccination_id, person_id, coupon_number, dose, vaccinated_on, product_code,
        lot_number, source)
    VALUES ('012131', 'cccccccc-0000-4000-8000-0000000000d6', 'cccccccc-0000-4000-8000-000000000001', '3000000001', 2, '2021-09-01', 'pfizer-comirnaty', 'FC0001', 'staff')$q$)
    || pg_temp.brief(pg_temp.ask('011002', '012131', 'N-C1', 'bbbbbbbb-0000-4000-8000-000000000003', 'b.staff')),
    '11found|1|1|false', 'fixture: C registers C1 with a dose; B asks C for C1 and copies the dose onto B3 (an earlier move)');

-- ---------------------------------------------------------------------------------------------
-- Privileges.
-- ---------------------------------------------------------------------------------------------
SELECT set_eq($$
    SELECT p.proname::text, r FROM pg_proc p,
           unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_app']) r
     WHERE p.pronamespace = 'vrs'::regnamespace
       AND p.proname IN ('inquiry_index_keys', 'inquire_transfer', 'create_transfer_batch', 'transfer_batch_lines',
                         'claim_transfer_batch', 'release_transfer_batch', 'purge_transfer_batches', 'clear_inquiry_lock',
                         'check_inquiry_route', 'check_inquiry_lock', 'current_registration', 'correction_dose',
                         'provision_record_refuse', 'lock_audit_chains')
       AND has_function_privilege(r, p.oid, 'EXECUTE')$$,
    $$SELECT d, r FROM unnest(ARRAY['inquiry_index_keys', 'inquire_transfer', 'create_transfer_batch', 'transfer_batch_lines']) d,
                       unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin']) r
      UNION ALL VALUES ('clear_inquiry_lock', 'vrs_municipal_admin'), ('claim_transfer_batch', 'vrs_worker'),
                       ('release_transfer_batch', 'vrs_worker'), ('purge_transfer_batches', 'vrs_worker')$$,
    'the transfer doors are executable exactly by their roles (staff and admins; admins alone clear locks; the worker alone claims, releases, purges); the helpers by nobody');
SELECT set_eq($$
    SELECT c.relname::text, r, x FROM pg_class c,
           unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker', 'vrs_app']) r,
           unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) x
     WHERE c.relnamespace = 'vrs'::regnamespace
       AND c.relname IN ('inquiry_purpose', 'inquiry_allowance', 'inquiry_guard', 'inquiry_lock', 'inquiry_tally',
                         'provision_record', 'provision_daily', 'transfer_batch', 'transfer_batch_line')
       AND has_table_privilege(r, c.oid, x)$$,
    $$SELECT t, r, 'SELECT' FROM unnest(ARRAY['inquiry_purpose', 'provision_record', 'transfer_batch', 'transfer_batch_line']) t,
                                 unnest(ARRAY['vrs_municipal', 'vrs_municipal_admin']) r
      UNION ALL VALUES ('inquiry_lock', 'vrs_municipal_admin', 'SELECT'), ('provision_daily', 'vrs_operator', 'SELECT')$$,
    'the new tables: staff read provision records, batches, lines and purposes; admins also the locks; the operator the daily counts; nobody anything else (inherited privileges included)');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
     WHERE c.relnamespace = 'vrs'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND (has_table_privilege('vrs_worker', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
            OR has_any_column_privilege('vrs_worker', c.oid, 'SELECT,INSERT,UPDATE,REFERENCES'))$$,
    'vrs_worker holds no privilege on any table, partition, view, sequence or column of schema vrs');
SELECT set_eq($$
    SELECT p.proname::text FROM pg_proc p
     WHERE p.pronamespace = 'vrs'::regnamespace AND has_function_privilege('vrs_worker', p.oid, 'EXECUTE')$$,
    $$VALUES ('claim_transfer_batch'), ('release_transfer_batch'), ('purge_transfer_batches')$$,
    'vrs_worker executes exactly claim, release and purge of schema vrs');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', $q$
    INSERT INTO vrs.provision_record (municipality_code, requester_code, provider_code, outcome) VALUES ('131016', '131016', '011002', 'found')$q$)
    || ',' || pg_temp.state_as('vrs_municipal_admin', '131016', $q$
    INSERT INTO vrs.provision_record (municipality_code, requester_code, provider_code, outcome) VALUES ('131016', '131016', '011002', 'found')$q$),
    '42501,42501', 'staff and admins cannot INSERT a provision record (42501): the door alone writes them');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', $q$UPDATE vrs.provision_record SET record_count = 9$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$DELETE FROM vrs.provision_record$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$TRUNCATE vrs.provision_record$q$),
    '42501,42501,42501', 'staff cannot UPDATE, DELETE or TRUNCATE provision records (42501)');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', 'SELECT * FROM vrs.inquiry_tally')
    || ',' || pg_temp.state_as('vrs_municipal', '131016', 'SELECT * FROM vrs.inquiry_guard')
    || ',' || pg_temp.state_as('vrs_municipal', '131016', 'SELECT * FROM vrs.inquiry_allowance')
    || ',' || pg_temp.state_as('vrs_municipal', '131016', 'SELECT * FROM vrs.inquiry_lock')
    || ',' || pg_temp.state_as('vrs_municipal', '131016', 'SELECT * FROM vrs.provision_daily'),
    '42501,42501,42501,42501,42501', 'staff cannot read the tally, the guard''s settings, the allow-list, the locks or the daily counts');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $q$SELECT string_agg(code || ':' || is_default, ',' ORDER BY code) FROM vrs.inquiry_purpose$q$),
    'health_crisis:false,transfer_record:true', 'staff read the purposes (transfer_record the default)');
SELECT is(pg_temp.state_as('vrs_operator', NULL, pg_temp.inquiry_sql('011002', 'N-B1', NULL, 'op', NULL, NULL, NULL))
    || ',' || pg_temp.state_as('vrs_operator', NULL, $q$SELECT vrs.inquiry_index_keys('011002', NULL)$q$)
    || ',' || pg_temp.state_as('vrs_operator', NULL, $q$SELECT vrs.claim_transfer_batch('op', 60)$q$)
    || ',' || pg_temp.state_as('vrs_operator', NULL, 'SELECT * FROM vrs.provision_record')
    || ',' || pg_temp.state_as('vrs_operator', NULL, 'SELECT * FROM vrs.transfer_batch')
    || ',' || pg_temp.state_as('vrs_operator', NULL, 'SELECT * FROM vrs.inquiry_lock')
    || ',' || pg_temp.value_as('vrs_operator', NULL, 'SELECT count(*) FROM vrs.provision_daily'),
    '42501,42501,42501,42501,42501,42501,1', 'the operator uses no transfer door and reads no provision record, batch or lock; it reads the daily counts (B -> C so far)');
SELECT is(pg_temp.state_as('vrs_device', '131016', pg_temp.inquiry_sql('011002', 'N-B1', NULL, 'dev', NULL, NULL, NULL))
    || ',' || pg_temp.state_as('vrs_device', '131016', $q$SELECT vrs.inquiry_index_keys('011002', NULL)$q$)
    || ',' || pg_temp.state_as('vrs_device', '131016', $q$SELECT vrs.purge_transfer_batches()$q$)
    || ',' || pg_temp.state_as('vrs_auth', '131016', pg_temp.inquiry_sql('011002', 'N-B1', NULL, 'auth', NULL, NULL, NULL))
    || ',' || pg_temp.state_as('vrs_auth', '131016', $q$SELECT vrs.inquiry_index_keys('011002', NULL)$q$)
    || ',' || pg_temp.state_as('vrs_auth', '131016', $q$SELECT vrs.claim_transfer_batch('auth', 60)$q$),
    '42501,42501,42501,42501,42501,42501', 'tablets (vrs_device) and authentication (vrs_auth) use no transfer door');
SELECT is(pg_temp.state_as('vrs_worker', '131016', pg_temp.inquiry_sql('011002', 'N-B1', NULL, 'w', NULL, NULL, NULL))
    || ',' || pg_temp.state_as('vrs_worker', '131016', $q$SELECT * FROM vrs.transfer_batch_lines(gen_random_uuid(), 'w', 10, 60)$q$)
    || ',' || pg_temp.state_as('vrs_worker', '131016', $q$SELECT vrs.clear_inquiry_lock('x', 'w', 'r')$q$)
    || ',' || pg_temp.state_as('vrs_worker', '131016', 'SELECT * FROM vrs.transfer_batch')
    || ',' || pg_temp.state_as('vrs_worker', '131016', 'SELECT * FROM vrs.provision_record'),
    '42501,42501,42501,42501,42501', 'the worker can neither inquire nor read a chunk, clear a lock or read a table');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.claim_transfer_batch('w', 60)$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.release_transfer_batch(gen_random_uuid(), 'w')$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.purge_transfer_batches()$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.check_inquiry_route('011002', NULL)$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.current_registration('131016', gen_random_uuid())$q$),
    '42501,42501,42501,42501,42501', 'staff cannot run the worker''s doors nor the owner''s helpers');

-- ---------------------------------------------------------------------------------------------
-- The provider's index keys.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT string_agg(version || ':' || encode(wrapped, 'hex'), ',') FROM vrs.inquiry_index_keys('011002', NULL)$q$),
    '1:0b02', 'staff of A get B''s wrapped index key (0b02), never its data key (0b01)');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', $q$SELECT * FROM vrs.inquiry_index_keys('131016', NULL)$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT * FROM vrs.inquiry_index_keys('131041', NULL)$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT * FROM vrs.inquiry_index_keys('011002', 'no_such')$q$),
    'VRS50,VRS50,VRS53', 'no index keys of A''s own or an unprovisioned municipality (VRS50), nor for an unknown purpose (VRS53)');

-- ---------------------------------------------------------------------------------------------
-- A single inquiry A -> B, found.
-- ---------------------------------------------------------------------------------------------
INSERT INTO answer VALUES ('found', pg_temp.ask('131016', '011002', 'N-B1', NULL, 'a.staff'));
SELECT is(pg_temp.brief(a), 'found|2|0|false', 'A asks B for B1: found, two records, nothing copied (no person named), not locked')
  FROM answer WHERE name = 'found';
SELECT set_eq($$
    SELECT r ->> 'originVaccinationId' AS id, r ->> 'municipalityCode' AS code, (r ->> 'dose')::int AS dose,
           r ->> 'couponNumber' AS coupon, r ->> 'vaccinatedOn' AS vaccinated_on, r ->> 'lotNumber' AS lot
      FROM answer, jsonb_array_elements(a -> 'records') r WHERE name = 'found'$$,
    $$VALUES ('bbbbbbbb-0000-4000-8000-0000000000d1', '011002', 1, '2000000001', '2021-06-01', 'FA1234'),
             ('bbbbbbbb-0000-4000-8000-0000000000d2', '011002', 2, '2000000001', '2021-06-22', 'FA1235')$$,
    'the records are B1''s recorded doses with B''s coupon number; the voided third dose is not provided');
SELECT set_eq(format($$
    SELECT municipality_code::text, requester_code::text, provider_code::text, outcome, record_count, account_id, purpose_code, kind,
           copied_count, batch_id IS NULL AS single, request_id
      FROM vrs.provision_record WHERE provision_id = %L$$, pg_temp.id_of('found')),
    $$VALUES ('131016', '131016', '011002', 'found', 2, 'a.staff', 'transfer_record', 'single', 0, true, 'req-t'),
             ('011002', '131016', '011002', 'found', 2, 'a.staff', 'transfer_record', 'single', 0, true, 'req-t')$$,
    'one provision record in each side''s partition, with the same provision id: who asked whom, for what, found, how many');
SELECT set_eq($$SELECT attname::text FROM pg_attribute WHERE attrelid = 'vrs.provision_record'::regclass AND attnum > 0 AND NOT attisdropped$$,
    $$VALUES ('municipality_code'), ('provision_id'), ('requester_code'), ('requested_at'), ('outcome'), ('record_count'),
             ('request_id'), ('batch_id'), ('provider_code'), ('account_id'), ('purpose_code'), ('kind'), ('copied_count')$$,
    'a provision record has no column for the number, its blind index or a person: exactly these columns');
SELECT results_eq($$
    SELECT day, inquiries, found, records FROM vrs.provision_daily WHERE requester_code = '131016' AND provider_code = '011002'$$,
    $$VALUES ((clock_timestamp() AT TIME ZONE 'Asia/Tokyo')::date, 1, 1, 2)$$,
    'provision_daily counts the inquiry for the Japan day and the pair A -> B');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', format(
    $q$SELECT string_agg(municipality_code || '/' || provider_code, ',') FROM vrs.provision_record WHERE provision_id = %L$q$, pg_temp.id_of('found')))
    || ' ' || pg_temp.value_as('vrs_municipal', '011002', format(
    $q$SELECT string_agg(municipality_code || '/' || requester_code, ',') FROM vrs.provision_record WHERE provision_id = %L$q$, pg_temp.id_of('found'))),
    '131016/011002 011002/131016', 'each side''s staff see only their own copy of the provision record');
SELECT results_eq(format($$
    SELECT municipality_code::text, action, actor_id, target_type, details ->> 'outcome', details ->> 'records',
           coalesce(details ->> 'provider', details ->> 'requester')
      FROM vrs.audit_event WHERE details ->> 'inquiryId' = %L ORDER BY municipality_code$$, pg_temp.id_of('found')),
    $$VALUES ('011002', 'transfer.provision', 'a.staff', 'person', 'found', '2', '131016'),
             ('131016', 'transfer.inquiry', 'a.staff', 'provision', 'found', '2', '011002')$$,
    'the inquiry is audited in A''s chain (transfer.inquiry) and the provision in B''s (transfer.provision)');
SELECT is_empty($$
    SELECT seq FROM vrs.audit_event
     WHERE action LIKE 'transfer.%'
       AND (details::text ~* 'N-B|individual|number|index' OR details::text LIKE '%' || encode(sha256('N-B1'), 'hex') || '%')$$,
    'no transfer audit event holds a number, an index or such a field');
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-B2', NULL, 'a.staff')), 'found|1|0|false',
    'a person who moved out of B (status moved_out) is found with her dose');

-- With a person of A: the doses are copied into A.
INSERT INTO answer VALUES ('copy', pg_temp.ask('131016', '011002', 'N-B1', 'aaaaaaaa-0000-4000-8000-000000000001', 'a.staff'));
SELECT is(pg_temp.brief(a), 'found|2|2|false', 'A asks B for B1 naming A1: both doses are copied')
  FROM answer WHERE name = 'copy';
SELECT set_eq(format($$
    SELECT source, origin_municipality_code::text, origin_vaccination_id::text, origin_coupon_number::text,
           coupon_number IS NULL AS no_coupon, inquiry_id = %L::uuid AS this_inquiry, state, dose::int, vaccinated_on::text, product_code, lot_number
      FROM vrs.vaccination WHERE municipality_code = '131016' AND person_id = 'aaaaaaaa-0000-4000-8000-000000000001'$$, pg_temp.id_of('copy')),
    $$VALUES ('transfer', '011002', 'bbbbbbbb-0000-4000-8000-0000000000d1', '2000000001', true, true, 'recorded', 1, '2021-06-01', 'pfizer-comirnaty', 'FA1234'),
             ('transfer', '011002', 'bbbbbbbb-0000-4000-8000-0000000000d2', '2000000001', true, true, 'recorded', 2, '2021-06-22', 'pfizer-comirnaty', 'FA1235')$$,
    'A1''s copies: source transfer, origin B and B''s dose id and coupon, the inquiry id, coupon_number NULL');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT count(*) || '|' || string_agg(DISTINCT action, ',') || '|' || string_agg(DISTINCT actor_id, ',')
         FROM vrs.record_change WHERE person_ids @> ARRAY['aaaaaaaa-0000-4000-8000-000000000001']::uuid[]$q$),
    '2|vaccination.transfer|a.staff', 'A''s history has one vaccination.transfer row per copy');
SELECT results_eq(format($$
    SELECT municipality_code::text, copied_count FROM vrs.provision_record WHERE provision_id = %L ORDER BY 1$$, pg_temp.id_of('copy')),
    $$VALUES ('011002', 0), ('131016', 2)$$, 'A''s provision record counts the copies, B''s does not');
INSERT INTO answer VALUES ('again', pg_temp.ask('131016', '011002', 'N-B1', 'aaaaaaaa-0000-4000-8000-000000000001', 'a.staff'));
SELECT is(pg_temp.brief(a) || ' ' || (SELECT count(*) FROM vrs.vaccination WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
    'found|2|0|false 2', 'asking again copies nothing new (copied 0): A1 still has two copies')
  FROM answer WHERE name = 'again';

-- A copy is B's record: here it is voided (put on the wrong person), not amended.
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-B2', 'aaaaaaaa-0000-4000-8000-000000000004', 'a.staff')),
    'found|1|1|false', 'A asks B for B2 naming A4 by mistake: the dose is copied onto A4');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', $q$
    SELECT vrs.amend_vaccination(v.vaccination_id, v.version, '誤り', ARRAY['lotNumber'], NULL, 'X1', NULL, NULL, NULL, 'a.staff', 'r')
      FROM vrs.vaccination v WHERE v.person_id = 'aaaaaaaa-0000-4000-8000-000000000004'$q$)
    || ',' || pg_temp.value_as('vrs_municipal', '131016', $q$
    SELECT vrs.void_vaccination(v.vaccination_id, v.version, '別人に転記', 'a.staff', 'r')
      FROM vrs.vaccination v WHERE v.person_id = 'aaaaaaaa-0000-4000-8000-000000000004'$q$),
    'VRS42,2', 'a copy cannot be amended here (VRS42: corrected at its origin), it can be voided');
INSERT INTO answer VALUES ('right', pg_temp.ask('131016', '011002', 'N-B2', 'aaaaaaaa-0000-4000-8000-000000000005', 'a.staff'));
SELECT is(pg_temp.brief(a) || ' ' || (SELECT count(*) FROM vrs.vaccination WHERE person_id = 'aaaaaaaa-0000-4000-8000-000000000005'
                                                                           AND state = 'recorded' AND source = 'transfer'),
    'found|1|1|false 1', 'asked again for the right person (A5), the dose whose copy on A4 was voided is copied onto A5')
  FROM answer WHERE name = 'right';

-- Not found.
INSERT INTO answer VALUES ('missing', pg_temp.ask('131016', '011002', 'N-nobody', 'aaaaaaaa-0000-4000-8000-000000000003', 'a.staff'));
SELECT is(pg_temp.brief(a), 'not_found|0|0|false', 'a number B does not know: not_found, no record, nothing copied')
  FROM answer WHERE name = 'missing';
SELECT set_eq(format($$
    SELECT municipality_code::text, outcome, record_count, copied_count FROM vrs.provision_record WHERE provision_id = %L$$, pg_temp.id_of('missing')),
    $$VALUES ('131016', 'not_found', 0, 0), ('011002', 'not_found', 0, 0)$$,
    'not_found writes both provision records saying only not_found, record_count 0');
SELECT results_eq(format($$
    SELECT municipality_code::text, action, target_type, target_id FROM vrs.audit_event WHERE details ->> 'inquiryId' = %L ORDER BY 1$$,
        pg_temp.id_of('missing')),
    format($$VALUES ('011002'::text, 'transfer.provision', 'provision', %L), ('131016', 'transfer.inquiry', 'person', 'aaaaaaaa-0000-4000-8000-000000000003')$$,
        pg_temp.id_of('missing')),
    'not_found is audited on both sides; B''s event names the provision, not a person');

-- Refusals, which write nothing.
CREATE TEMP TABLE before_refusals AS
SELECT (SELECT count(*) FROM vrs.provision_record) AS provisions, (SELECT count(*) FROM vrs.audit_event) AS events,
       (SELECT coalesce(sum(single_count), 0) FROM vrs.inquiry_tally) AS singles;
SELECT is(pg_temp.diag_as('vrs_municipal', '131016', pg_temp.inquiry_sql('131016', 'N-A1', NULL, 'a.staff', NULL, NULL, NULL)),
    'VRS50||previousMunicipalityCode', 'asking one''s own municipality: VRS50 (HINT the field)');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', pg_temp.inquiry_sql('131041', 'N-B1', NULL, 'a.staff', NULL, NULL, NULL))
    || ',' || pg_temp.state_as('vrs_municipal', '131016', pg_temp.inquiry_sql('01100', 'N-B1', NULL, 'a.staff', NULL, NULL, NULL)),
    'VRS50,VRS50', 'asking an unprovisioned municipality (131041) or a malformed code: VRS50');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', pg_temp.inquiry_sql('011002', 'N-B1', NULL, 'a.staff', 'no_such', NULL, NULL))
    || ',' || pg_temp.state_as('vrs_municipal', '131016', pg_temp.inquiry_sql('011002', 'N-B1', NULL, 'a.staff', 'health_crisis', NULL, NULL)),
    'VRS53,VRS53', 'an unknown purpose, or one not allowed between A and B: VRS53');
SELECT is(pg_temp.state_as('vrs_municipal', '131016',
              pg_temp.inquiry_sql('011002', 'N-B1', 'bbbbbbbb-0000-4000-8000-000000000001', 'a.staff', NULL, NULL, NULL))
    || ',' || pg_temp.state_as('vrs_municipal', '131016',
              pg_temp.inquiry_sql('011002', 'N-B1', 'aaaaaaaa-0000-4000-8000-00000000dead', 'a.staff', NULL, NULL, NULL)),
    'VRS54,VRS54', 'a person who is not a registration of A (B''s B1, or nobody): VRS54');
SELECT is(pg_temp.state_as('vrs_municipal', '', pg_temp.inquiry_sql('011002', 'N-B1', NULL, 'a.staff', NULL, NULL, NULL)),
    '42501', 'no municipality bound: 42501');
SELECT results_eq($$
    SELECT (SELECT count(*) FROM vrs.provision_record), (SELECT count(*) FROM vrs.audit_event),
           (SELECT coalesce(sum(single_count), 0) FROM vrs.inquiry_tally)$$,
    'SELECT provisions, events, singles FROM before_refusals',
    'the refused inquiries wrote no provision record, no audit event and no tally');

-- A copy received from an earlier municipality is provided under its origin.
INSERT INTO answer VALUES ('chain', pg_temp.ask('131016', '011002', 'N-B3', 'aaaaaaaa-0000-4000-8000-000000000003', 'a.staff'));
SELECT set_eq($$
    SELECT v.origin_municipality_code::text, v.origin_vaccination_id::text, v.origin_coupon_number::text, v.dose::int
      FROM vrs.vaccination v WHERE v.municipality_code = '131016' AND v.person_id = 'aaaaaaaa-0000-4000-8000-000000000003'$$,
    $$VALUES ('011002', 'bbbbbbbb-0000-4000-8000-0000000000d5', '2000000003', 1),
             ('012131', 'cccccccc-0000-4000-8000-0000000000d6', '3000000001', 2)$$,
    'B3''s copy of C''s dose is provided under its origin: A3 gets it with C''s code and dose id, B''s own dose with B''s');
SELECT is(pg_temp.brief(pg_temp.ask('012131', '131016', 'N-A3', 'cccccccc-0000-4000-8000-000000000001', 'c.staff')),
    'found|2|1|false', 'C asking A for A3 copies only B''s dose: the one that came from C is C''s own already');

-- ---------------------------------------------------------------------------------------------
-- The rate limit.
-- ---------------------------------------------------------------------------------------------
DO $$ BEGIN PERFORM pg_temp.fresh_minute(); END $$;
UPDATE vrs.inquiry_guard SET per_minute = 2;
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-B1', NULL, 'a.rate')) || ',' ||
          pg_temp.brief(pg_temp.ask('131016', '011002', 'N-nobody', NULL, 'a.rate')),
    'found|2|0|false,not_found|0|0|false', 'per_minute 2: a user''s first two single inquiries are answered');
SELECT is(split_part(d, '|', 1) || ' ' || (split_part(d, '|', 2)::int BETWEEN 1 AND 60)::text, 'VRS51 true',
    'the third in the minute: VRS51, DETAIL the seconds to wait (1 to 60)')
  FROM pg_temp.diag_as('vrs_municipal', '131016', pg_temp.inquiry_sql('011002', 'N-B1', NULL, 'a.rate', NULL, NULL, NULL)) d;
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-B1', NULL, 'a.other')), 'found|2|0|false',
    'the rate is per user: another user of A is still answered');
UPDATE vrs.inquiry_guard SET per_minute = 30;

-- ---------------------------------------------------------------------------------------------
-- The not-found guard and its lock.
-- ---------------------------------------------------------------------------------------------
UPDATE vrs.inquiry_guard SET min_inquiries = 3, max_not_found_ratio = 0.5;
SELECT is(string_agg(pg_temp.ask('131016', '011002', 'N-guess-' || i, NULL, 'a.guess') ->> 'locked', ',' ORDER BY i),
    'false,false,true', 'min 3, ratio 0.5: three not-found inquiries, the third returns locked')
  FROM generate_series(1, 3) i;
SELECT results_eq($$SELECT municipality_code::text, inquiries, not_found, cleared_at IS NULL FROM vrs.inquiry_lock WHERE account_id = 'a.guess'$$,
    $$VALUES ('131016', 3, 3, true)$$, 'an open lock of the user in A, with the counts');
SELECT results_eq($$SELECT actor_id, target_type, target_id, outcome, details ->> 'notFound' FROM vrs.audit_event
                    WHERE municipality_code = '131016' AND action = 'transfer.inquiry_locked'$$,
    $$VALUES ('a.guess', 'account', 'a.guess', 'failure', '3')$$, 'the lock is audited in A''s chain (transfer.inquiry_locked)');
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-B1', NULL, 'a.guess')) || ',' ||
          pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[2], ARRAY['011002']::char(6)[],
              ARRAY[NULL]::uuid[], ARRAY['\xc1']::bytea[], 1, 3600, 'a.guess', 'r')$q$),
    'VRS52,VRS52', 'the locked user''s next inquiry, even of a known number, and a batch of hers: VRS52');
SELECT is(pg_temp.value_as('vrs_municipal_admin', '131016', $q$SELECT string_agg(account_id, ',') FROM vrs.inquiry_lock$q$)
    || ',' || pg_temp.value_as('vrs_municipal_admin', '011002', $q$SELECT count(*) FROM vrs.inquiry_lock$q$),
    'a.guess,0', 'A''s admin reads A''s lock; B''s admin reads none of A''s');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.clear_inquiry_lock('a.guess', 'a.staff', 'r')$q$),
    '42501', 'staff cannot clear a lock (42501)');
SELECT is(pg_temp.value_as('vrs_municipal_admin', '131016', $q$SELECT vrs.clear_inquiry_lock('a.guess', 'a.admin', 'r')$q$)
    || ',' || pg_temp.value_as('vrs_municipal_admin', '131016', $q$SELECT vrs.clear_inquiry_lock('a.guess', 'a.admin', 'r')$q$),
    'true,false', 'A''s admin clears it (true); clearing again finds no open lock (false)');
SELECT results_eq($$SELECT cleared_by, (SELECT count(*)::int FROM vrs.audit_event WHERE municipality_code = '131016'
                                          AND action = 'transfer.inquiry_unlocked' AND target_id = 'a.guess')
                      FROM vrs.inquiry_lock WHERE account_id = 'a.guess'$$,
    $$VALUES ('a.admin', 1)$$, 'the lock says who cleared it; the clear is audited (transfer.inquiry_unlocked)');
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-B1', NULL, 'a.guess')), 'found|2|0|false',
    'after the clear the user is answered again');
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-guess-4', NULL, 'a.guess')), 'not_found|0|0|false',
    'after the clear the count starts afresh: one more not-found answer does not lock the user again');
UPDATE vrs.inquiry_guard SET min_inquiries = 20, max_not_found_ratio = 0.5;
UPDATE vrs.inquiry_lock SET cleared_at = clock_timestamp(), cleared_by = 'test' WHERE cleared_at IS NULL;

-- ---------------------------------------------------------------------------------------------
-- Batches.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.diag_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[2, 3, 4],
        ARRAY['011002', '131041', '011002']::char(6)[], ARRAY[NULL, NULL, NULL]::uuid[], ARRAY['\xc1', '\xc2', '\xc3']::bytea[],
        1, 3600, 'a.batch', 'req-b')$q$),
    'VRS50|3|previous_municipality_code', 'a batch line naming an unprovisioned municipality: VRS50, DETAIL the file''s line (3)');
SELECT is(pg_temp.diag_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[2, 3, 4],
        ARRAY['011002', '011002', '131016']::char(6)[], ARRAY[NULL, NULL, NULL]::uuid[], ARRAY['\xc1', '\xc2', '\xc3']::bytea[],
        1, 3600, 'a.batch', 'req-b')$q$)
    || ',' || pg_temp.diag_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[2, 3],
        ARRAY['011002', '011002']::char(6)[], ARRAY[NULL, 'bbbbbbbb-0000-4000-8000-000000000001']::uuid[], ARRAY['\xc1', '\xc2']::bytea[],
        1, 3600, 'a.batch', 'req-b')$q$)
    || ',' || pg_temp.diag_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch('health_crisis', ARRAY[2],
        ARRAY['011002']::char(6)[], ARRAY[NULL]::uuid[], ARRAY['\xc1']::bytea[], 1, 3600, 'a.batch', 'req-b')$q$),
    'VRS50|4|previous_municipality_code,VRS54|3|person_id,VRS53|2|purpose',
    'a line naming A itself: VRS50 at line 4; a person not of A: VRS54 at line 3; a purpose not allowed: VRS53 at line 2');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[2],
        ARRAY['011002']::char(6)[], ARRAY[NULL, NULL]::uuid[], ARRAY['\xc1']::bytea[], 1, 3600, 'a.batch', 'r')$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[2, 2],
        ARRAY['011002', '011002']::char(6)[], ARRAY[NULL, NULL]::uuid[], ARRAY['\xc1', '\xc2']::bytea[], 1, 3600, 'a.batch', 'r')$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[]::int[],
        ARRAY[]::char(6)[], ARRAY[]::uuid[], ARRAY[]::bytea[], 1, 3600, 'a.batch', 'r')$q$)
    || ',' || pg_temp.state_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[2],
        ARRAY['011002']::char(6)[], ARRAY[NULL]::uuid[], ARRAY['\xc1']::bytea[], 2, 3600, 'a.batch', 'r')$q$),
    'VRS55,VRS55,VRS55,22023',
    'arrays that disagree, a line number twice or an empty batch: VRS55; a data key version A does not have: 22023');
INSERT INTO batch SELECT 'main', pg_temp.value_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch('transfer_record', ARRAY[2, 3, 4],
        ARRAY['011002', '012131', '011002']::char(6)[],
        ARRAY['aaaaaaaa-0000-4000-8000-000000000002', NULL, 'aaaaaaaa-0000-4000-8000-000000000005']::uuid[],
        ARRAY['\xc1', '\xc2', '\xc3']::bytea[], 1, 3600, 'a.batch', 'req-b')$q$)::uuid;
SELECT results_eq(format($$SELECT municipality_code::text, account_id, purpose_code, line_count, answered_count, status,
                                  lease_owner IS NULL, expires_at > clock_timestamp() + interval '59 minutes'
                             FROM vrs.transfer_batch WHERE batch_id = %L$$, pg_temp.batch_of('main')),
    $$VALUES ('131016', 'a.batch', 'transfer_record', 3, 0, 'pending', true, true)$$,
    'create_transfer_batch returns the id of a pending batch of three lines, kept for the retention asked');
SELECT results_eq(format($$SELECT line_number, provider_code::text, person_id::text, encode(individual_number_cipher, 'hex'), key_version,
                                  answered_at IS NULL
                             FROM vrs.transfer_batch_line WHERE batch_id = %L ORDER BY line_number$$, pg_temp.batch_of('main')),
    $$VALUES (2, '011002', 'aaaaaaaa-0000-4000-8000-000000000002', 'c1', 1, true), (3, '012131', NULL, 'c2', 1, true),
             (4, '011002', 'aaaaaaaa-0000-4000-8000-000000000005', 'c3', 1, true)$$,
    'its lines, numbered as in the file, hold the ciphers under A''s data key version 1 until answered');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', 'SELECT count(*) FROM vrs.transfer_batch')
    || ',' || pg_temp.value_as('vrs_municipal', '131016', 'SELECT count(*) FROM vrs.transfer_batch_line')
    || ',' || pg_temp.value_as('vrs_municipal', '011002', 'SELECT count(*) FROM vrs.transfer_batch')
    || ',' || pg_temp.value_as('vrs_municipal', '011002', 'SELECT count(*) FROM vrs.transfer_batch_line'),
    '1,3,0,0', 'A''s staff see A''s batch and its lines; B''s staff see none of them');
SELECT is(pg_temp.value_as('vrs_worker', NULL, $q$
    SELECT concat_ws('|', batch_id, municipality_code, account_id, purpose_code, request_id) FROM vrs.claim_transfer_batch('w1', 60)$q$),
    concat_ws('|', pg_temp.batch_of('main'), '131016', 'a.batch', 'transfer_record', 'req-b'),
    'claim_transfer_batch as vrs_worker (w1) returns the batch: who asked, for what');
SELECT is(pg_temp.value_as('vrs_worker', NULL, $q$SELECT count(*) FROM vrs.claim_transfer_batch('w2', 60)$q$), '0',
    'a second claim, as vrs_worker, gets nothing: the lease is held');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', format($q$SELECT * FROM vrs.transfer_batch_lines(%L, 'w2', 100, 60)$q$, pg_temp.batch_of('main')))
    || ',' || pg_temp.state_as('vrs_municipal', '011002', format($q$SELECT * FROM vrs.transfer_batch_lines(%L, 'w1', 100, 60)$q$, pg_temp.batch_of('main'))),
    'VRS56,VRS56', 'the chunk door refuses another worker, and the lease holder bound to another municipality (VRS56)');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', format($q$
    SELECT string_agg(line_number || ':' || provider_code || ':' || encode(individual_number_cipher, 'hex') || ':' || key_version, ',' ORDER BY line_number)
      FROM vrs.transfer_batch_lines(%L, 'w1', 100, 60)$q$, pg_temp.batch_of('main'))),
    '2:011002:c1:1,4:011002:c3:1', 'the lease holder bound to A gets the unanswered lines of the lowest provider (B), in line order');
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-B4', NULL, 'a.batch', 'transfer_record', pg_temp.batch_of('main'), 2)),
    'found|1|1|false', 'line 2 answered through inquire_transfer: B4 found, the dose copied onto the line''s person A2');
SELECT results_eq(format($$SELECT individual_number_cipher IS NULL, key_version IS NULL, outcome, inquiry_id IS NOT NULL, copied_count,
                                  jsonb_array_length(records), answered_at IS NOT NULL
                             FROM vrs.transfer_batch_line WHERE batch_id = %L AND line_number = 2$$, pg_temp.batch_of('main')),
    $$VALUES (true, true, 'found', true, 1, 1, true)$$, 'the answered line''s cipher is cleared; it keeps the answer');
SELECT results_eq(format($$SELECT p.municipality_code::text, p.kind, p.batch_id = %L::uuid FROM vrs.provision_record p
                             JOIN vrs.transfer_batch_line l ON l.inquiry_id = p.provision_id
                            WHERE l.batch_id = %L AND l.line_number = 2 ORDER BY 1$$, pg_temp.batch_of('main'), pg_temp.batch_of('main')),
    $$VALUES ('011002', 'batch', true), ('131016', 'batch', true)$$, 'its provision records say batch and name the batch');
SELECT is(pg_temp.state_as('vrs_municipal', '131016', pg_temp.inquiry_sql('011002', 'N-B4', NULL, 'a.batch', 'transfer_record', pg_temp.batch_of('main'), 2))
    || ',' || pg_temp.state_as('vrs_municipal', '131016', pg_temp.inquiry_sql('011002', 'N-C1', NULL, 'a.batch', 'transfer_record', pg_temp.batch_of('main'), 3))
    || ',' || pg_temp.state_as('vrs_municipal', '131016', pg_temp.inquiry_sql('011002', 'N-B3', NULL, 'a.batch', 'transfer_record', pg_temp.batch_of('main'), 9)),
    'VRS57,VRS57,VRS57', 'answering line 2 again, line 3 (C''s) as B''s, or a line that does not exist: VRS57');
SELECT is(pg_temp.brief(pg_temp.ask('131016', '011002', 'N-nobody', NULL, 'a.batch', 'transfer_record', pg_temp.batch_of('main'), 4)),
    'not_found|0|0|false', 'line 4: not found');
SELECT is(pg_temp.value_as('vrs_municipal', '131016', format($q$
    SELECT string_agg(line_number || ':' || provider_code, ',') FROM vrs.transfer_batch_lines(%L, 'w1', 100, 60)$q$, pg_temp.batch_of('main'))),
    '3:012131', 'the next chunk: C''s line');
SELECT is(pg_temp.brief(pg_temp.ask('131016', '012131', 'N-C1', NULL, 'a.batch', 'transfer_record', pg_temp.batch_of('main'), 3)),
    'found|2|0|false', 'line 3: C1 found with its two doses (its own and the one C copied from A), nothing copied (the line names no person)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', format($q$SELECT * FROM vrs.transfer_batch_lines(%L, 'w1', 100, 60)$q$, pg_temp.batch_of('main'))),
    '0', 'every line answered: the chunk door returns nothing');
SELECT results_eq(format($$SELECT status, answered_count, found_count, lease_owner IS NULL, finished_at IS NOT NULL,
                                  (SELECT count(*)::int FROM vrs.transfer_batch_line l WHERE l.batch_id = b.batch_id AND l.individual_number_cipher IS NOT NULL)
                             FROM vrs.transfer_batch b WHERE batch_id = %L$$, pg_temp.batch_of('main')),
    $$VALUES ('done', 3, 2, true, true, 0)$$, 'the batch is done: three answered, two found, the lease released, no cipher left');
SELECT is((SELECT string_agg(action, ',' ORDER BY seq) FROM vrs.audit_event
            WHERE municipality_code = '131016' AND target_id = pg_temp.batch_of('main')::text),
    'transfer.batch_submitted,transfer.batch_done', 'A''s chain records the batch submitted and done');

-- Release, and the claim skipping a locked user.
INSERT INTO batch SELECT 'later', pg_temp.value_as('vrs_municipal', '131016', $q$SELECT vrs.create_transfer_batch(NULL, ARRAY[2],
        ARRAY['011002']::char(6)[], ARRAY[NULL]::uuid[], ARRAY['\xd1']::bytea[], 1, 3600, 'a.later', 'req-l')$q$)::uuid;
SELECT is(pg_temp.value_as('vrs_worker', NULL, $q$SELECT string_agg(account_id, ',') FROM vrs.claim_transfer_batch('w1', 60)$q$)
    || ',' || pg_temp.value_as('vrs_worker', NULL, format($q$SELECT vrs.release_transfer_batch(%L, 'w2')$q$, pg_temp.batch_of('later')))
    || ',' || pg_temp.value_as('vrs_worker', NULL, format($q$SELECT vrs.release_transfer_batch(%L, 'w1')$q$, pg_temp.batch_of('later')))
    || ',' || pg_temp.value_as('vrs_worker', NULL, format($q$SELECT vrs.release_transfer_batch(%L, 'w1')$q$, pg_temp.batch_of('main'))),
    'a.later,false,true,false', 'w1 claims the second batch; w2 cannot release it, w1 can (true); a done batch is not released');
SELECT results_eq(format($$SELECT status, lease_owner, lease_until FROM vrs.transfer_batch WHERE batch_id = %L$$, pg_temp.batch_of('later')),
    $$VALUES ('pending', NULL::text, NULL::timestamptz)$$, 'a released batch waits for the next claim, with no lease');
INSERT INTO vrs.inquiry_lock (municipality_code, account_id, inquiries, not_found) VALUES ('131016', 'a.later', 20, 15);
SELECT is(pg_temp.value_as('vrs_worker', NULL, $q$SELECT count(*) FROM vrs.claim_transfer_batch('w3', 60)$q$), '0',
    'the claim skips the batch of a user whose inquiries are locked');
UPDATE vrs.inquiry_lock SET cleared_at = clock_timestamp(), cleared_by = 'test' WHERE account_id = 'a.later';
SELECT is(pg_temp.value_as('vrs_worker', NULL, $q$SELECT batch_id::text FROM vrs.claim_transfer_batch('w3', 60)$q$),
    pg_temp.batch_of('later')::text, 'once the lock is cleared the batch is claimed again');

-- Purge.
UPDATE vrs.transfer_batch SET expires_at = clock_timestamp() - interval '1 second' WHERE batch_id = pg_temp.batch_of('main');
SELECT is(pg_temp.value_as('vrs_worker', NULL, 'SELECT vrs.purge_transfer_batches()'), '1',
    'purge_transfer_batches as vrs_worker expires the one batch past its retention');
SELECT results_eq($$SELECT b.status, (SELECT count(*)::int FROM vrs.transfer_batch_line l WHERE l.batch_id = b.batch_id)
                      FROM vrs.transfer_batch b JOIN batch t ON t.id = b.batch_id ORDER BY t.name$$,
    $$VALUES ('running', 1), ('expired', 0)$$, 'its lines are deleted and it is marked expired; the other batch keeps its line');
SELECT results_eq(format($$SELECT actor_id, actor_role, details ->> 'linesDeleted' FROM vrs.audit_event
                            WHERE municipality_code = '131016' AND action = 'transfer.batch_expired' AND target_id = %L$$,
                         pg_temp.batch_of('main')),
    $$VALUES ('system', 'worker', '3')$$, 'the expiry is audited in A''s chain');
SELECT is(pg_temp.value_as('vrs_worker', NULL, 'SELECT vrs.purge_transfer_batches()'), '0', 'purging again expires nothing');

-- ---------------------------------------------------------------------------------------------
-- Provision records are append-only.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($$UPDATE vrs.provision_record SET record_count = 9$$, 'VRS03', NULL, 'UPDATE of a provision record raises VRS03, even as superuser');
SELECT throws_ok($$DELETE FROM vrs.provision_record$$, 'VRS03', NULL, 'DELETE raises VRS03, even as superuser');
SELECT throws_ok($$TRUNCATE vrs.provision_record$$, 'VRS03', NULL, 'TRUNCATE of provision_record raises VRS03, even as superuser');
SELECT throws_ok($$TRUNCATE vrs.provision_record_p012131$$, 'VRS03', NULL,
    'TRUNCATE of the partition of C, provisioned after 0013, raises VRS03 (the trigger was copied by provisioning)');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_owner', '131016', 'TRUNCATE vrs.provision_record_p131016')$t$, 'VRS03', NULL,
    'the owner truncating a partition raises VRS03');
SELECT is(pg_temp.rows_as('vrs_owner', '131016', $q$UPDATE vrs.provision_record SET record_count = 9$q$)
    || ',' || pg_temp.rows_as('vrs_owner', '131016', $q$DELETE FROM vrs.provision_record$q$),
    '0,0', 'the owner''s UPDATE and DELETE reach no row (no UPDATE or DELETE policy), so nothing changes');
SELECT is((SELECT count(*)::int FROM vrs.provision_record WHERE record_count = 9), 0, 'superuser check: no provision record was changed');

SELECT is((SELECT count(*)::int FROM vrs.verify_audit_chain('131016')) + (SELECT count(*)::int FROM vrs.verify_audit_chain('011002'))
          + (SELECT count(*)::int FROM vrs.verify_audit_chain('012131')), 0, 'the three audit chains still verify');

SELECT * FROM finish();
ROLLBACK;
