-- statistics.sql: the dose counts, the statistics door and the viewer role (migration 0015).
-- Fixtures: 131016 千代田区 (A) and 131041 新宿区 (A2), both in prefecture 13, and 011002 札幌市
-- (B, prefecture 01), provisioned here; people and doses written as the superuser (the triggers
-- run as the owner whoever writes); sessions inserted as the superuser (the session guard still
-- checks them).
--
-- Proves that:
--   * no role but the owner holds any privilege on the tallies and the settings; vrs_viewer holds
--     no privilege on any table or column of the schema at all, is refused on person, vaccination
--     and account (42501), and executes exactly vaccination_statistics, record_statistics_read,
--     statistics_scope and statistics_age_bands; no caller role executes the tally functions, the rebuild or the band
--     setter;
--   * a recorded dose is counted under its municipality and prefecture, day, dose number, sex and
--     age band (age on the day); a pending tablet read and a transfer copy are not; a void takes
--     the dose away, a changed sex moves it, linking a pending read counts it;
--   * rebuild_dose_tally gives the very same counts as the triggers kept;
--   * the door: an operator sees every prefecture; a viewer of 13 sees 13 only and is refused 01
--     (VRS70); by municipality, cells under 10 are suppressed (NULL), and the one cell that would
--     give a lone suppressed cell away by difference is suppressed too; staff see their own
--     municipality, by municipality only, and only under their own bound municipality; a revoked
--     session is VRS22; the answer writes nothing, record_statistics_read (which the server calls
--     before the first byte) checks the same scope and audits the question in the caller's chain;
--   * create_viewer is the operators' (an unknown prefecture is VRS71); a viewer account has no
--     municipality; operator_set_locked locks a viewer too, audited in the central chain; set_statistics_age_bands refuses overlapping bands (VRS72).
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(63);

\ir _helpers.psql

-- ---------------------------------------------------------------------------------------------
-- Privileges.
-- ---------------------------------------------------------------------------------------------
SELECT table_privs_are('vrs', t, r, ARRAY[]::text[], r || ' has no privilege on vrs.' || t)
  FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker',
                    'vrs_viewer']) r,
       unnest(ARRAY['dose_tally', 'dose_tally_prefecture']) t;
SELECT is((SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a WHERE a.grantee = 'vrs_viewer'::regrole), 0::bigint,
    'vrs_viewer holds no table privilege anywhere');
SELECT is((SELECT count(*) FROM pg_attribute t, aclexplode(t.attacl) a WHERE a.grantee = 'vrs_viewer'::regrole), 0::bigint,
    'vrs_viewer holds no column privilege anywhere');
SELECT is((SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p
            WHERE p.pronamespace = 'vrs'::regnamespace AND has_function_privilege('vrs_viewer', p.oid, 'EXECUTE')),
    'record_statistics_read,statistics_age_bands,statistics_scope,vaccination_statistics', 'vrs_viewer executes the four statistics doors only');
SELECT is(pg_temp.value_as('vrs_viewer', NULL, 'SELECT count(*) FROM vrs.' || t), 'error 42501: permission denied for table ' || t,
    'vrs_viewer cannot read vrs.' || t)
  FROM unnest(ARRAY['person', 'vaccination', 'account', 'dose_tally']) t;
SELECT is((SELECT count(*) FROM pg_proc p, unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device',
                                                       'vrs_auth', 'vrs_worker', 'vrs_viewer']) r
            WHERE p.pronamespace = 'vrs'::regnamespace
              AND p.proname IN ('tally_add', 'tally_dose', 'tally_vaccination', 'tally_person', 'tally_inserted_doses', 'rebuild_dose_tally',
                                'statistics_caller',
                                'set_statistics_age_bands', 'age_band', 'dose_tally_mark_built')
              AND has_function_privilege(r, p.oid, 'EXECUTE')), 0::bigint,
    'no caller role executes the tally functions, the rebuild or the band setter');

-- ---------------------------------------------------------------------------------------------
-- Fixtures.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')
          AND vrs.provision_municipality('131041', '\x0c01', '\x0c02', 'master-1')
          AND vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$), 'true', 'fixture: provision A, A2 and B');
SELECT is((SELECT count(*) FROM vrs.dose_tally_built WHERE municipality_code IN ('131016', '131041', '011002')), 3::bigint,
    'a newly provisioned municipality has its (empty) tally built');

-- A: 12 women born 1950 (65- in 2021), 3 men born 1990 (-64); A2: 2 women born 1950; B: 1 woman born 2030 (UNK: after the dose).
INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index, key_version,
                        family_name, given_name, family_name_kana, given_name_kana, birth_date, sex)
SELECT code, ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, code || '-' || n, '\x01', sha256((code || n)::bytea), 1,
       '統計', '太郎', 'トウケイ', 'タロウ', birth::date, sex
  FROM (VALUES ('131016', 1, 12, '1950-01-01', 'F'), ('131016', 13, 15, '1990-01-01', 'M'),
               ('131041', 21, 22, '1950-01-01', 'F'), ('011002', 31, 31, '2030-01-01', 'F')) f(code, first, last, birth, sex),
       generate_series(first, last) n;
INSERT INTO vrs.vaccination (municipality_code, person_id, coupon_number, dose, vaccinated_on, product_code, lot_number, source)
SELECT p.municipality_code, p.person_id, NULL, 1, '2021-04-12', 'pfizer-comirnaty', 'EW0001', 'staff' FROM vrs.person p
 WHERE p.municipality_code IN ('131016', '131041', '011002');
-- Not counted: a pending tablet read (no person) and a copy a transfer inquiry brought in.
INSERT INTO vrs.vaccination (municipality_code, person_id, coupon_number, dose, vaccinated_on, product_code, lot_number, source)
VALUES ('131016', NULL, '0000000099', 1, '2021-04-12', 'pfizer-comirnaty', 'EW0001', 'tablet');
INSERT INTO vrs.vaccination (municipality_code, person_id, dose, vaccinated_on, product_code, lot_number, source, origin_municipality_code,
                             origin_vaccination_id, inquiry_id)
VALUES ('131016', '00000000-0000-4000-8000-000000000013', 2, '2021-05-10', 'pfizer-comirnaty', 'EW0002', 'transfer', '011002',
        gen_random_uuid(), gen_random_uuid());

CREATE TEMP TABLE tally_seen AS SELECT * FROM vrs.dose_tally WHERE false;
CREATE FUNCTION pg_temp.cells(p_code char(6)) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(format('%s/%s/%s/%s=%s', vaccinated_on, dose, sex, age_band, doses), ' '
                      ORDER BY vaccinated_on, dose, sex, age_band)
      FROM vrs.dose_tally WHERE municipality_code = p_code AND doses > 0
$$;

-- ---------------------------------------------------------------------------------------------
-- The counts follow the doses.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.cells('131016'), '2021-04-12/1/F/65-=12 2021-04-12/1/M/-64=3',
    'A: 12 women 65- and 3 men -64 on the day; the pending read and the transfer copy are not counted');
SELECT is(pg_temp.cells('011002'), '2021-04-12/1/F/UNK=1', 'an age that fits no band (born after the dose) is UNK');
SELECT is((SELECT doses FROM vrs.dose_tally_prefecture WHERE prefecture = '13' AND vaccinated_on = '2021-04-12' AND sex = 'F'), 14,
    'prefecture 13 counts A and A2 together');

UPDATE vrs.vaccination SET state = 'voided' WHERE municipality_code = '131016' AND person_id = '00000000-0000-4000-8000-000000000001';
SELECT is(pg_temp.cells('131016'), '2021-04-12/1/F/65-=11 2021-04-12/1/M/-64=3', 'a void takes the dose away');
UPDATE vrs.person SET sex = 'M' WHERE municipality_code = '131016' AND person_id = '00000000-0000-4000-8000-000000000002';
SELECT is(pg_temp.cells('131016'), '2021-04-12/1/F/65-=10 2021-04-12/1/M/-64=3 2021-04-12/1/M/65-=1',
    'a corrected sex moves the person''s doses');
UPDATE vrs.vaccination SET person_id = '00000000-0000-4000-8000-000000000014'
 WHERE municipality_code = '131016' AND coupon_number = '0000000099';
SELECT is(pg_temp.cells('131016'), '2021-04-12/1/F/65-=10 2021-04-12/1/M/-64=4 2021-04-12/1/M/65-=1',
    'linking the pending read to its person counts it');
SELECT is((SELECT doses FROM vrs.dose_tally_prefecture WHERE prefecture = '13' AND vaccinated_on = '2021-04-12' AND sex = 'F'), 12,
    'the prefecture count follows');

INSERT INTO tally_seen SELECT * FROM vrs.dose_tally WHERE municipality_code = '131016';
SELECT is(vrs.rebuild_dose_tally('131016'), 15::bigint, 'rebuild counts the 15 recorded doses of A');
SELECT is((SELECT count(*) FROM ((SELECT * FROM tally_seen WHERE doses > 0 EXCEPT SELECT * FROM vrs.dose_tally WHERE municipality_code = '131016')
                                 UNION ALL
                                 (SELECT * FROM vrs.dose_tally WHERE municipality_code = '131016' EXCEPT SELECT * FROM tally_seen)) d),
    0::bigint, 'the rebuilt tally is the one the triggers kept');
SELECT is((SELECT doses FROM vrs.dose_tally_prefecture WHERE prefecture = '13' AND vaccinated_on = '2021-04-12' AND sex = 'F'), 12,
    'and the prefecture count is unchanged by the rebuild');

-- ---------------------------------------------------------------------------------------------
-- Accounts and sessions.
-- ---------------------------------------------------------------------------------------------
INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, must_change_password) VALUES
    ('op.stats', 'operator', NULL, '運用', 'x', false),
    ('staff.a', 'staff', '131016', '職員', 'x', false);
INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at) VALUES
    (sha256('t op'), 'op.stats', 'operator', NULL, now() + interval '1 hour'),
    (sha256('t staff'), 'staff.a', 'staff', '131016', now() + interval '1 hour');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.create_viewer(sha256('t op'), 'view.tokyo', '東京都の閲覧者', '13', 'x', 'req-1', '10.0.0.1')::text$q$), '',
    'an operator creates a viewer of prefecture 13');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.create_viewer(sha256('t op'), 'view.nowhere', '誰か', '48', 'x', NULL, NULL)::text$q$),
    'error VRS71: no prefecture 48', 'an unknown prefecture is VRS71');
SELECT is(pg_temp.value_as('vrs_viewer', NULL,
    $q$SELECT vrs.create_viewer(sha256('t op'), 'view.self', '誰か', NULL, 'x', NULL, NULL)::text$q$),
    'error 42501: permission denied for function create_viewer', 'a viewer cannot create viewers');
SELECT is((SELECT role || '/' || coalesce(municipality_code, '-') || '/' || prefecture_code FROM vrs.account WHERE user_id = 'view.tokyo'),
    'viewer/-/13', 'the viewer has a prefecture and no municipality');
SELECT is((SELECT count(*) FROM vrs.audit_event WHERE municipality_code = '000000' AND action = 'viewer.create'
                                               AND actor_id = 'op.stats' AND target_id = 'view.tokyo'), 1::bigint,
    'the creation is audited in the central chain');
UPDATE vrs.account SET must_change_password = false WHERE user_id = 'view.tokyo';
INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at) VALUES
    (sha256('t viewer'), 'view.tokyo', 'viewer', NULL, now() + interval '1 hour');
SELECT throws_ok($$INSERT INTO vrs.account (user_id, role, municipality_code, prefecture_code, display_name, password_hash)
                   VALUES ('staff.pref', 'staff', '131016', '13', 'x', 'x')$$,
    '23514', NULL, 'only a viewer has a prefecture');

-- ---------------------------------------------------------------------------------------------
-- The door.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.answer(p_role text, p_code text, p_token text, p_by text, p_prefecture text) RETURNS text
    LANGUAGE sql AS $$
    SELECT pg_temp.value_as(p_role, p_code, format(
        $q$SELECT string_agg(concat_ws('/', prefecture, municipality_code, sex, age_band, coalesce(doses::text, 'x')), ' '
                             ORDER BY prefecture, municipality_code, sex, age_band)
             FROM vrs.vaccination_statistics(sha256(%L), %L, %L, '2021-04-01', '2021-04-30')$q$,
        p_token, p_by, p_prefecture))
$$;
SELECT is(pg_temp.answer('vrs_operator', NULL, 't op', 'prefecture', NULL), '01/F/UNK/1 13/F/65-/12 13/M/-64/4 13/M/65-/1',
    'an operator sees every prefecture');
SELECT is(pg_temp.answer('vrs_viewer', NULL, 't viewer', 'prefecture', NULL), '13/F/65-/12 13/M/-64/4 13/M/65-/1',
    'a viewer of 13 sees prefecture 13 only');
SELECT is(pg_temp.answer('vrs_viewer', NULL, 't viewer', 'prefecture', '01'), 'error VRS70: prefecture 01 is outside the caller''s scope',
    'a viewer of 13 asking for 01 is refused');
SELECT is(pg_temp.answer('vrs_viewer', NULL, 't viewer', 'municipality', NULL),
    '13/131016/F/65-/x 13/131016/M/-64/x 13/131016/M/65-/x 13/131041/F/65-/x',
    'by municipality: cells under 10 are suppressed, and A''s 10 too, since A2''s lone 2 would be its difference from the prefecture''s 12');
UPDATE vrs.statistics_setting SET min_cell = 2;
SELECT is(pg_temp.answer('vrs_viewer', NULL, 't viewer', 'municipality', NULL),
    '13/131016/F/65-/10 13/131016/M/-64/4 13/131016/M/65-/x 13/131041/F/65-/2',
    'with a threshold of 2 only the single dose is suppressed (it is alone in its group: nothing to difference)');
UPDATE vrs.statistics_setting SET min_cell = 10;
SELECT is(pg_temp.answer('vrs_municipal', '131016', 't staff', 'municipality', NULL),
    '13/131016/F/65-/10 13/131016/M/-64/x 13/131016/M/65-/x', 'staff see their own municipality, suppressed alike');
SELECT is(pg_temp.answer('vrs_municipal', '131016', 't staff', 'prefecture', NULL),
    'error VRS70: a municipality sees its own counts only (by municipality)', 'staff cannot ask for the prefecture');
SELECT is(pg_temp.answer('vrs_municipal', '131041', 't staff', 'municipality', NULL),
    'error VRS70: the session is not of the bound municipality', 'a staff session under another bound municipality is refused');
SELECT is((SELECT count(*) FROM vrs.audit_event WHERE action = 'statistics.read'), 0::bigint,
    'answering writes no event: the server records each question first, with record_statistics_read');
SELECT is(pg_temp.value_as('vrs_viewer', NULL,
    $q$SELECT vrs.record_statistics_read(sha256('t viewer'), 'prefecture', NULL, '2021-04-01', NULL, 'req-v', '10.0.0.9')::text$q$), '',
    'a viewer''s question is recorded');
SELECT is(pg_temp.value_as('vrs_viewer', NULL,
    $q$SELECT vrs.record_statistics_read(sha256('t viewer'), 'prefecture', '01', NULL, NULL, 'req-v2', NULL)::text$q$),
    'error VRS70: prefecture 01 is outside the caller''s scope', 'a question outside the scope is refused, and nothing recorded');
SELECT is(pg_temp.value_as('vrs_municipal', '131016',
    $q$SELECT vrs.record_statistics_read(sha256('t staff'), 'municipality', NULL, NULL, NULL, 'req-s', NULL)::text$q$), '',
    'a staff question is recorded');
SELECT is((SELECT count(*) FROM vrs.audit_event WHERE municipality_code = '000000' AND action = 'statistics.read'
                                               AND actor_id = 'view.tokyo' AND actor_role = 'viewer' AND target_id = '13'
                                               AND request_id = 'req-v' AND details ->> 'from' = '2021-04-01'), 1::bigint,
    'the viewer''s question is in the central chain under the viewer, with its request and days');
SELECT is((SELECT count(*) FROM vrs.audit_event WHERE municipality_code = '131016' AND action = 'statistics.read'
                                               AND actor_id = 'staff.a' AND target_id = '131016'), 1::bigint,
    'a staff question is in the municipality''s chain');
UPDATE vrs.session SET revoked_at = now() WHERE token_hash = sha256('t viewer');
SELECT is(pg_temp.answer('vrs_viewer', NULL, 't viewer', 'prefecture', NULL), 'error VRS22: no live session for this token',
    'a revoked session gets nothing');
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT coalesce(vrs.operator_set_locked(sha256('t op'), 'view.tokyo', true, 'req-l', NULL)::text, 'none')$q$), 'none',
    'an operator locks a viewer (it has no municipality)');
SELECT is((SELECT count(*) FROM vrs.audit_event WHERE municipality_code = '000000' AND action = 'user.lock' AND target_id = 'view.tokyo'),
    1::bigint, 'the lock is audited in the central chain');

-- ---------------------------------------------------------------------------------------------
-- Bands.
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT vrs.set_statistics_age_bands(ARRAY['-64', '60-'])$$, 'VRS72', NULL, 'overlapping bands are refused');
SELECT throws_ok($$SELECT vrs.set_statistics_age_bands(ARRAY['young'])$$, 'VRS72', NULL, 'a band that is not a range is refused');
SELECT vrs.set_statistics_age_bands(ARRAY['-69', '70-']);
SELECT is(vrs.rebuild_dose_tally('131016'), 15::bigint, 'rebuild under new bands');
SELECT is(pg_temp.cells('131016'), '2021-04-12/1/F/70-=10 2021-04-12/1/M/-69=4 2021-04-12/1/M/70-=1',
    'the counts are kept under the new bands (71-year-olds now 70-)');

SELECT * FROM finish();
ROLLBACK;
