-- 0009 vaccinations: the doors through which a dose is stored, the configuration they check a dose
-- against, and a device role that reaches nothing else.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
-- Needs vrs.append_audit_event_in (0005) and the owner policies on vrs.device and
-- vrs.municipality (0001, 0006).
--
--   * vrs.vaccine_product.approved_on: the day each product was approved in Japan; a dose dated
--     earlier is refused (VRS31).
--   * vrs.dose_interval_rule: minimum intervals between doses as versioned configuration
--     (domain.md §4). A dose given sooner is stored and flagged interval_short, never refused.
--   * vrs.store_vaccination: the one place where a dose is stored (EXECUTE to nobody). It
--     validates, serialises retries of one coupon and dose, answers duplicates, finds the coupon
--     in the municipality the coupon code names, computes the review flags, inserts the row and
--     audits it in that municipality's chain.
--   * vrs.tablet_record_vaccination (vrs_device, vrs_app): a tablet's dose. The device is the
--     one behind a live token hash; the coupon code decides the municipality the dose belongs to,
--     not the device's municipality (a resident of A vaccinated at a site in B is A's record).
--   * vrs.staff_record_vaccination (vrs_municipal): a staff member's dose (or a file line), for
--     coupons of the caller's own municipality only (VRS36).
--   * vrs.link_pending_vaccinations (vrs_municipal, invoker): links doses that waited for their
--     coupon to be registered (接種対象者登録待ち) once it is.
--   * vrs_device loses every table and function privilege in schema vrs except EXECUTE on
--     tablet_record_vaccination: a tablet submits doses and learns the answer, nothing more
--     (architecture.md §2). It read the directory, the products, its own registry row and the
--     migration ledger, and could append audit events to its municipality's chain; none of that
--     is needed any longer, since the door audits itself.
--   * vrs_app gets USAGE on schema vrs, without which no function in it can be named: it calls
--     tablet_record_vaccination (and the session and device checks of 0010) in autocommit,
--     without SET ROLE. USAGE alone reaches no table; vrs_app still holds no table privilege.
--
-- SQLSTATEs (MESSAGE is safe to show: never a name, a number or a date of birth):
--   VRS30 unknown product (HINT: the accepted product codes, comma separated)
--   VRS31 vaccinated_on missing, in the future (Japan's date), or before the product's approval
--   VRS32 the municipality the code names is not provisioned here
--   VRS33 malformed coupon code: not 18 digits, dose digit 0, or municipality check digit wrong
--   VRS34 lot number empty or over 20 characters, site over 30, doctor over 20, client record id
--         over 64
--   VRS35 device token not valid or revoked
--   VRS36 staff: the coupon code's municipality is not the caller's own
--   22023 staff: source other than 'staff' or 'import'
--
-- Locks: ADD COLUMN + UPDATE + SET NOT NULL on the small reference table vaccine_product; the
-- policies and grants take brief locks on the parents only. No partition is touched.

------------------------------------------------------------------------------------------------
-- Approval dates. Configuration, not law: the days below are the 特例承認 / 承認 (or the
-- composition-change approval for the variant products) as published, and are to be checked
-- against MHLW's list before production use. A product added later must name its date.
------------------------------------------------------------------------------------------------
ALTER TABLE vrs.vaccine_product ADD COLUMN approved_on date;
COMMENT ON COLUMN vrs.vaccine_product.approved_on IS
    'Day the product was approved in Japan (特例承認/承認); a dose dated earlier is refused (VRS31). Configuration: check against MHLW.';
UPDATE vrs.vaccine_product p
   SET approved_on = d.approved_on
  FROM (VALUES ('pfizer-comirnaty',          date '2021-02-14'),
               ('moderna-spikevax',          date '2021-05-21'),
               ('astrazeneca-vaxzevria',     date '2021-05-21'),
               ('novavax-nuvaxovid',         date '2022-04-19'),
               ('daiichisankyo-daichirona',  date '2023-08-02'),
               ('pfizer-comirnaty-ba45',     date '2022-10-05'),
               ('moderna-spikevax-ba45',     date '2022-10-31'),
               ('pfizer-comirnaty-xbb15',    date '2023-09-01'),
               ('moderna-spikevax-xbb15',    date '2023-09-12'),
               ('novavax-nuvaxovid-xbb15',   date '2023-11-28'),
               ('pfizer-comirnaty-jn1',      date '2024-09-13'),   -- day to be confirmed
               ('moderna-spikevax-jn1',      date '2024-09-13'))   -- day to be confirmed
       AS d(code, approved_on)
 WHERE p.code = d.code;
-- A product this migration does not know (added by hand) fails here, on purpose: give it a date.
ALTER TABLE vrs.vaccine_product ALTER COLUMN approved_on SET NOT NULL;

------------------------------------------------------------------------------------------------
-- Minimum intervals between doses (warning only). A version is a set of rows that took effect
-- on one day. The rule for a dose is, among the rows for that dose whose product is the dose's
-- product or NULL (any product) and whose effective_from <= vaccinated_on, the one of the highest
-- rule_version, a product-specific row before the NULL row of the same version. A dose with no
-- rule (dose 1; a dose before any version covered it) gets no interval check.
-- The interval is min_months calendar months plus min_days days after the person's latest
-- earlier dose: Japan counted booster intervals in months (前回接種から5か月以上), which no fixed
-- number of days matches, and primary-series intervals in days.
-- Reference data, not personal: no RLS, like vaccine_product; read by staff and by the owner's
-- doors.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.dose_interval_rule (
    rule_version   int NOT NULL CONSTRAINT dose_interval_rule_version_check CHECK (rule_version > 0),
    effective_from date NOT NULL,
    dose           smallint NOT NULL CONSTRAINT dose_interval_rule_dose_check CHECK (dose BETWEEN 2 AND 9),
    product_code   text CONSTRAINT dose_interval_rule_product_fkey REFERENCES vrs.vaccine_product (code),
    min_months     smallint NOT NULL DEFAULT 0 CONSTRAINT dose_interval_rule_months_check CHECK (min_months BETWEEN 0 AND 60),
    min_days       int NOT NULL DEFAULT 0 CONSTRAINT dose_interval_rule_days_check CHECK (min_days BETWEEN 0 AND 3650),
    note           text,
    -- NULL (any product) is one value here: one generic row per version and dose.
    CONSTRAINT dose_interval_rule_key UNIQUE NULLS NOT DISTINCT (rule_version, dose, product_code)
);
COMMENT ON TABLE vrs.dose_interval_rule IS
    'Versioned minimum intervals between doses (domain.md §4); a shorter interval flags the record interval_short, never refuses it.';
COMMENT ON COLUMN vrs.dose_interval_rule.dose IS 'The dose being given (2 = second dose).';
COMMENT ON COLUMN vrs.dose_interval_rule.product_code IS 'The product being given; NULL = any product without a row of its own in that version.';
REVOKE ALL ON vrs.dose_interval_rule FROM PUBLIC;
GRANT SELECT ON vrs.dose_interval_rule TO vrs_municipal;

-- Seed versions. Configuration to be checked against MHLW's notices (予防接種実施規則 and the
-- 実施要領 of each period); the booster intervals were shortened for priority groups first, and
-- a single nationwide row per period is a simplification that at worst adds a warning.
--   1  2021-02-14  primary series: Pfizer 21 days, Moderna and AstraZeneca 28 days, others 21
--   2  2021-12-01  boosters (3rd dose and later) 8 months
--   3  2022-01-01  7 months
--   4  2022-02-01  6 months
--   5  2022-05-25  5 months (4th doses begin)
--   6  2022-10-21  3 months
INSERT INTO vrs.dose_interval_rule (rule_version, effective_from, dose, product_code, min_months, min_days, note)
VALUES (1, '2021-02-14', 2, NULL,                     0, 21, 'primary series: 3 weeks unless the product says otherwise'),
       (1, '2021-02-14', 2, 'pfizer-comirnaty',       0, 21, 'primary series: 3 weeks'),
       (1, '2021-02-14', 2, 'moderna-spikevax',       0, 28, 'primary series: 4 weeks'),
       (1, '2021-02-14', 2, 'moderna-spikevax-xbb15', 0, 28, 'primary series: 4 weeks'),
       (1, '2021-02-14', 2, 'moderna-spikevax-jn1',   0, 28, 'primary series: 4 weeks'),
       (1, '2021-02-14', 2, 'astrazeneca-vaxzevria',  0, 28, 'primary series: 4 to 12 weeks');
INSERT INTO vrs.dose_interval_rule (rule_version, effective_from, dose, product_code, min_months, min_days, note)
SELECT v.rule_version, v.effective_from, d.dose, NULL, v.min_months, 0, v.note
  FROM (VALUES (2, date '2021-12-01', 8, 'boosters: 8 months'),
               (3, date '2022-01-01', 7, 'boosters: 7 months'),
               (4, date '2022-02-01', 6, 'boosters: 6 months'),
               (5, date '2022-05-25', 5, 'boosters: 5 months'),
               (6, date '2022-10-21', 3, 'boosters: 3 months')) AS v(rule_version, effective_from, min_months, note)
 CROSS JOIN generate_series(3, 9) AS d(dose);

------------------------------------------------------------------------------------------------
-- The device role: EXECUTE on tablet_record_vaccination (below) and USAGE on the schema, nothing
-- else. Its policy on the registry goes with its grant (a policy for a role without a grant is
-- dead configuration that a later grant would silently revive).
------------------------------------------------------------------------------------------------
REVOKE ALL ON vrs.municipality_directory, vrs.vaccine_product, vrs.municipality, vrs.schema_migration FROM vrs_device;
REVOKE ALL ON FUNCTION vrs.current_municipality() FROM vrs_device;
REVOKE ALL ON FUNCTION vrs.append_audit_event(text, text, text, text, text, text, text, text, jsonb) FROM vrs_device;
ALTER POLICY tenant_read ON vrs.municipality TO vrs_municipal;

GRANT USAGE ON SCHEMA vrs TO vrs_app;

------------------------------------------------------------------------------------------------
-- The owner's doors read persons and coupons and read and insert vaccinations of ONE
-- municipality: the one bound in vrs.municipality, which store_vaccination binds to the coupon
-- code's municipality for its duration (as append_audit_event_in does for a chain). A flaw in a
-- door cannot reach a second municipality's rows through these policies; no UPDATE or DELETE.
------------------------------------------------------------------------------------------------
CREATE POLICY owner_bound_read ON vrs.person FOR SELECT TO vrs_owner
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound_read ON vrs.coupon FOR SELECT TO vrs_owner
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound_read ON vrs.vaccination FOR SELECT TO vrs_owner
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound_insert ON vrs.vaccination FOR INSERT TO vrs_owner
    WITH CHECK (municipality_code = vrs.current_municipality());

------------------------------------------------------------------------------------------------
-- The 18-digit coupon code (domain.md §2): 券種(1) + 回数(1) + municipality code (6, with its
-- check digit) + 券番号(10). The municipality check digit is the only guard against a misread:
-- weights 6,5,4,3,2 on its digits 1-5, check = last digit of 11 - (sum mod 11). Messages name the
-- municipality part at most (not personal). Owner only (EXECUTE to nobody).
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.parse_coupon_code(p_code text)
    RETURNS TABLE (kind smallint, dose smallint, municipality_code char(6), coupon_number char(10))
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_muni  text;
    v_sum   int := 0;
    v_check int;
    i       int;
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{18}$' THEN
        RAISE EXCEPTION 'the coupon code must be exactly 18 digits (%)',
            CASE WHEN p_code IS NULL THEN 'none given' ELSE length(p_code)::text || ' characters given' END
            USING ERRCODE = 'VRS33';
    END IF;
    IF substr(p_code, 2, 1) = '0' THEN
        RAISE EXCEPTION 'the coupon code''s dose digit (2nd) is 0' USING ERRCODE = 'VRS33';
    END IF;
    v_muni := substr(p_code, 3, 6);
    FOR i IN 1..5 LOOP
        v_sum := v_sum + substr(v_muni, i, 1)::int * (7 - i);
    END LOOP;
    v_check := (11 - v_sum % 11) % 10;
    IF substr(v_muni, 6, 1)::int <> v_check THEN
        RAISE EXCEPTION 'the municipality code % in the coupon code fails its check digit: the code was misread', v_muni
            USING ERRCODE = 'VRS33', HINT = 'Read the coupon again, or type the 18 digits.';
    END IF;
    RETURN QUERY SELECT substr(p_code, 1, 1)::smallint, substr(p_code, 2, 1)::smallint,
                        v_muni::char(6), substr(p_code, 9, 10)::char(10);
END
$$;
REVOKE ALL ON FUNCTION vrs.parse_coupon_code(text) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- Storing a dose: the one place. Owner only (EXECUTE to nobody); the two doors call it.
--
-- result 'recorded'              stored for the person whose coupon it is
--        'pending_registration'  stored with person_id NULL: the coupon is not registered (yet)
--        'duplicate'             nothing stored: a record with this client_record_id, or with this
--                                coupon number and dose, exists in that municipality; its id,
--                                person, dose and flags are answered
-- flags (review flags, stored on the row; the dose is recorded regardless):
--   coupon_superseded  the coupon is not active (reissued or void)
--   person_moved_out   the person's status is moved_out
--   person_deceased    the person's status is deceased
--   dose_mismatch      the dose is not (the person's recorded doses) + 1
--   interval_short     sooner after the person's latest earlier dose than the rule in effect
--   coupon_unknown     pending, and the municipality has registered coupons: the code may have
--                      been misread into a real but wrong municipality (check digits collide,
--                      e.g. 012131 / 012181), so the record wants a look rather than a wait
-- Retries: a transaction-level advisory lock on (municipality, coupon number), and one on
-- (municipality, client record id), are taken before the duplicate checks, so two concurrent
-- reads of one coupon and dose store one row; each later statement sees the first one's commit
-- (READ COMMITTED, as the server runs; a REPEATABLE READ caller would not).
-- Every statement on a partitioned table names municipality_code = v_code, a variable: with
-- plan_cache_mode = force_custom_plan it is planned as a value and prunes to one partition.
-- The audit event goes to the chain of the coupon's municipality: action vaccination.record,
-- target the vaccination, outcome success, details {result, source, dose, flags (comma
-- separated), couponNumber} and what the door adds (a tablet: deviceMunicipality). The coupon
-- number is in it as in coupon.issue events; no name, no Individual Number, no date of birth.
-- Duplicates are audited too (result duplicate, target the earlier record): a retry is an access.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.store_vaccination(
    p_code char(6), p_coupon_number char(10), p_dose smallint, p_vaccinated_on date, p_product text,
    p_lot text, p_site text, p_doctor text, p_source text, p_device_id uuid, p_client_record_id text,
    p_actor_id text, p_actor_role text, p_request_id text, p_details jsonb)
    RETURNS TABLE (result text, flags text[], vaccination_id uuid, person_id uuid, dose smallint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_code     char(6) := p_code;
    v_coupon   char(10) := p_coupon_number;
    v_old      text := pg_catalog.current_setting('vrs.municipality', true);
    v_today    date := (pg_catalog.now() AT TIME ZONE 'Asia/Tokyo')::date;
    v_lot      text := pg_catalog.btrim(p_lot, E' \t\u3000');
    v_site     text := nullif(pg_catalog.btrim(p_site, E' \t\u3000'), '');
    v_doctor   text := nullif(pg_catalog.btrim(p_doctor, E' \t\u3000'), '');
    v_record   text := nullif(pg_catalog.btrim(p_client_record_id), '');
    v_approved date;
    v_result   text;
    v_flags    text[] := '{}';
    v_id       uuid;
    v_person   uuid;
    v_dose     smallint := p_dose;
    v_c        record;
    v_count    bigint;
    v_last     date;
    v_rule     record;
BEGIN
    -- Input checks, in the order a client would fix them. Nothing below echoes personal data.
    SELECT pr.approved_on INTO v_approved FROM vrs.vaccine_product pr WHERE pr.code = p_product;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown product %', coalesce(quote_literal(left(p_product, 60)), 'NULL')
            USING ERRCODE = 'VRS30',
                  HINT = 'Accepted product codes: '
                         || (SELECT string_agg(pr.code, ', ' ORDER BY pr.code) FROM vrs.vaccine_product pr);
    END IF;
    IF p_vaccinated_on IS NULL THEN
        RAISE EXCEPTION 'vaccinated_on is required' USING ERRCODE = 'VRS31';
    ELSIF p_vaccinated_on > v_today THEN
        RAISE EXCEPTION 'vaccinated_on % is in the future (today is % in Japan)', p_vaccinated_on, v_today
            USING ERRCODE = 'VRS31';
    ELSIF p_vaccinated_on < v_approved THEN
        RAISE EXCEPTION 'vaccinated_on % is before % was approved in Japan (%)', p_vaccinated_on, p_product, v_approved
            USING ERRCODE = 'VRS31';
    END IF;
    IF v_lot IS NULL OR v_lot = '' THEN
        RAISE EXCEPTION 'the lot number is empty' USING ERRCODE = 'VRS34';
    ELSIF length(v_lot) > 20 THEN
        RAISE EXCEPTION 'the lot number is longer than 20 characters' USING ERRCODE = 'VRS34';
    ELSIF length(v_site) > 30 THEN
        RAISE EXCEPTION 'the site name is longer than 30 characters' USING ERRCODE = 'VRS34';
    ELSIF length(v_doctor) > 20 THEN
        RAISE EXCEPTION 'the doctor name is longer than 20 characters' USING ERRCODE = 'VRS34';
    ELSIF length(v_record) > 64 THEN
        RAISE EXCEPTION 'the client record id is longer than 64 characters' USING ERRCODE = 'VRS34';
    END IF;
    IF v_code IS NULL OR v_coupon IS NULL OR v_code !~ '^[0-9]{6}$' OR v_coupon !~ '^[0-9]{10}$'
       OR v_dose IS NULL OR v_dose NOT BETWEEN 1 AND 9 THEN
        RAISE EXCEPTION 'malformed municipality code, coupon number or dose' USING ERRCODE = 'VRS33';
    END IF;
    -- A suspended municipality takes no new doses: the operator has stopped its ledger.
    IF NOT EXISTS (SELECT 1 FROM vrs.municipality m WHERE m.code = v_code AND m.status = 'active') THEN
        RAISE EXCEPTION 'municipality % is not provisioned here, or is suspended', v_code USING ERRCODE = 'VRS32';
    END IF;

    -- From here on the owner policies admit the coupon's municipality, and only it.
    PERFORM pg_catalog.set_config('vrs.municipality', v_code, true);

    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vrs.vaccination/coupon/' || v_code || '/' || v_coupon, 0));
    IF v_record IS NOT NULL THEN
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vrs.vaccination/record/' || v_code || '/' || v_record, 0));
        SELECT v.vaccination_id, v.person_id, v.flags, v.dose INTO v_id, v_person, v_flags, v_dose
          FROM vrs.vaccination v
         WHERE v.municipality_code = v_code AND v.client_record_id = v_record;
    END IF;
    IF v_id IS NULL THEN
        SELECT v.vaccination_id, v.person_id, v.flags, v.dose INTO v_id, v_person, v_flags, v_dose
          FROM vrs.vaccination v
         WHERE v.municipality_code = v_code AND v.coupon_number = v_coupon AND v.dose = p_dose
         ORDER BY v.recorded_at, v.vaccination_id
         LIMIT 1;
    END IF;

    IF v_id IS NOT NULL THEN
        v_result := 'duplicate';
    ELSE
        v_dose := p_dose;
        v_flags := '{}';
        SELECT c.person_id, c.status AS coupon_status, p.status AS person_status INTO v_c
          FROM vrs.coupon c
          JOIN vrs.person p ON p.municipality_code = c.municipality_code AND p.person_id = c.person_id
         WHERE c.municipality_code = v_code AND p.municipality_code = v_code AND c.coupon_number = v_coupon;
        IF NOT FOUND THEN
            v_result := 'pending_registration';
            v_person := NULL;
            IF EXISTS (SELECT 1 FROM vrs.coupon c WHERE c.municipality_code = v_code) THEN
                v_flags := v_flags || 'coupon_unknown'::text;
            END IF;
        ELSE
            v_result := 'recorded';
            v_person := v_c.person_id;
            IF v_c.coupon_status <> 'active' THEN v_flags := v_flags || 'coupon_superseded'::text; END IF;
            IF v_c.person_status = 'moved_out' THEN v_flags := v_flags || 'person_moved_out'::text; END IF;
            IF v_c.person_status = 'deceased' THEN v_flags := v_flags || 'person_deceased'::text; END IF;
            SELECT count(*), max(v.vaccinated_on) FILTER (WHERE v.vaccinated_on <= p_vaccinated_on)
              INTO v_count, v_last
              FROM vrs.vaccination v
             WHERE v.municipality_code = v_code AND v.person_id = v_person;
            IF p_dose <> v_count + 1 THEN v_flags := v_flags || 'dose_mismatch'::text; END IF;
            IF v_last IS NOT NULL THEN
                SELECT r.min_months, r.min_days INTO v_rule
                  FROM vrs.dose_interval_rule r
                 WHERE r.dose = p_dose AND r.effective_from <= p_vaccinated_on
                   AND (r.product_code = p_product OR r.product_code IS NULL)
                 ORDER BY r.rule_version DESC, r.product_code IS NULL
                 LIMIT 1;
                IF FOUND AND v_last + make_interval(months => v_rule.min_months, days => v_rule.min_days) > p_vaccinated_on THEN
                    v_flags := v_flags || 'interval_short'::text;
                END IF;
            END IF;
        END IF;

        INSERT INTO vrs.vaccination (municipality_code, person_id, coupon_number, dose, vaccinated_on, product_code,
                                     lot_number, site_name, doctor_name, source, device_id, client_record_id, flags)
        VALUES (v_code, v_person, v_coupon, p_dose, p_vaccinated_on, p_product, v_lot, v_site, v_doctor, p_source,
                p_device_id, v_record, v_flags)
        RETURNING vaccination_id INTO v_id;
    END IF;

    PERFORM vrs.append_audit_event_in(v_code, p_actor_id, p_actor_role, 'vaccination.record', 'vaccination', v_id::text,
        'success', p_request_id, NULL,
        coalesce(p_details, '{}'::jsonb) || jsonb_build_object(
            'result', v_result, 'source', p_source, 'dose', v_dose::text,
            'flags', array_to_string(v_flags, ','), 'couponNumber', v_coupon::text));

    PERFORM pg_catalog.set_config('vrs.municipality', coalesce(v_old, ''), true);
    RETURN QUERY SELECT v_result, v_flags, v_id, v_person, v_dose;
END
$$;
REVOKE ALL ON FUNCTION vrs.store_vaccination(char, char, smallint, date, text, text, text, text, text, uuid, text,
                                             text, text, text, jsonb) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- The tablet door. The device is the live one behind the token hash (the server hashes the
-- bearer token; the database cannot be told "I am device X" by a parameter). Callable by
-- vrs_device (SET LOCAL ROLE) and by vrs_app in autocommit: one round trip per dose.
-- The dose goes to the municipality the coupon code names (where the person is registered);
-- the device's own municipality is only noted in the audit details. The answer says which
-- municipality that was, by code and name, so the site sees a misread at once; no person data.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.tablet_record_vaccination(
    p_token_hash bytea, p_coupon_code text, p_vaccinated_on date, p_product text, p_lot_number text,
    p_site_name text, p_doctor_name text, p_client_record_id text, p_request_id text)
    RETURNS TABLE (result text, flags text[], municipality_code char(6), municipality_name text,
                   dose smallint, coupon_kind smallint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_device uuid;
    v_home   char(6);
    v_code   record;
    v_stored record;
    v_name   text;
BEGIN
    SELECT d.device_id, d.municipality_code INTO v_device, v_home
      FROM vrs.device d
     WHERE d.token_hash = p_token_hash AND d.revoked_at IS NULL;
    IF v_device IS NULL THEN
        RAISE EXCEPTION 'device token not valid or revoked' USING ERRCODE = 'VRS35';
    END IF;
    -- As auth_device does: last seen, written at most once a minute.
    UPDATE vrs.device d SET last_seen_at = now()
     WHERE d.device_id = v_device AND (d.last_seen_at IS NULL OR d.last_seen_at < now() - interval '60 seconds');

    SELECT * INTO v_code FROM vrs.parse_coupon_code(p_coupon_code);
    SELECT * INTO v_stored
      FROM vrs.store_vaccination(v_code.municipality_code, v_code.coupon_number, v_code.dose, p_vaccinated_on, p_product,
                                 p_lot_number, p_site_name, p_doctor_name, 'tablet', v_device, p_client_record_id,
                                 v_device::text, 'device', p_request_id,
                                 jsonb_build_object('deviceMunicipality', v_home::text));
    SELECT m.name INTO v_name FROM vrs.municipality m WHERE m.code = v_code.municipality_code;
    RETURN QUERY SELECT v_stored.result, v_stored.flags, v_code.municipality_code, v_name, v_stored.dose, v_code.kind;
END
$$;
REVOKE ALL ON FUNCTION vrs.tablet_record_vaccination(bytea, text, date, text, text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.tablet_record_vaccination(bytea, text, date, text, text, text, text, text, text)
    TO vrs_device, vrs_app;

------------------------------------------------------------------------------------------------
-- The staff door: a dose typed by staff (source 'staff') or read from a file ('import'), for a
-- coupon of the caller's own municipality (the bound one). The actor is the server's signed-in
-- user; the role is taken from the SET ROLE in force (admin or staff).
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.staff_record_vaccination(
    p_coupon_code text, p_vaccinated_on date, p_product text, p_lot_number text, p_site_name text,
    p_doctor_name text, p_client_record_id text, p_source text, p_actor_id text, p_request_id text)
    RETURNS TABLE (result text, flags text[], vaccination_id uuid, person_id uuid, dose smallint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_mine char(6) := vrs.current_municipality();
    v_code record;
BEGIN
    IF p_source IS NULL OR p_source NOT IN ('staff', 'import') THEN
        RAISE EXCEPTION 'source must be staff or import' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_code FROM vrs.parse_coupon_code(p_coupon_code);
    IF v_mine IS NULL OR v_code.municipality_code <> v_mine THEN
        RAISE EXCEPTION 'the coupon code names municipality %, not the caller''s own (%)',
            v_code.municipality_code, coalesce(v_mine::text, 'none bound')
            USING ERRCODE = 'VRS36',
                  HINT = 'A dose for a coupon of another municipality is that municipality''s record: it is submitted from a tablet.';
    END IF;
    RETURN QUERY
        SELECT s.result, s.flags, s.vaccination_id, s.person_id, s.dose
          FROM vrs.store_vaccination(v_code.municipality_code, v_code.coupon_number, v_code.dose, p_vaccinated_on,
                                     p_product, p_lot_number, p_site_name, p_doctor_name, p_source, NULL,
                                     p_client_record_id, p_actor_id,
                                     CASE pg_catalog.current_setting('role') WHEN 'vrs_municipal_admin' THEN 'admin' ELSE 'staff' END,
                                     p_request_id, '{}'::jsonb) s;
END
$$;
REVOKE ALL ON FUNCTION vrs.staff_record_vaccination(text, date, text, text, text, text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.staff_record_vaccination(text, date, text, text, text, text, text, text, text, text)
    TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- Pending doses whose coupon is now registered get its person. SECURITY INVOKER: it runs under
-- the caller's privileges and RLS (vrs_municipal updates only its own municipality's rows; any
-- other p_code links nothing). The coupon_unknown flag goes (the coupon is known now), and the
-- flags the tablet door would have raised for the coupon and the person as they are now are added
-- (coupon_superseded, person_moved_out, person_deceased); dose_mismatch and interval_short are not
-- recomputed, since several pending doses of one person may link at once in any order.
-- Returns the number of doses linked.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.link_pending_vaccinations(p_code char(6)) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_code char(6) := p_code;
    v_n    integer;
BEGIN
    UPDATE vrs.vaccination v
       SET person_id = c.person_id,
           flags = array_remove(v.flags, 'coupon_unknown')
                   || CASE WHEN c.status <> 'active' AND NOT 'coupon_superseded' = ANY (v.flags)
                           THEN ARRAY['coupon_superseded'] ELSE '{}'::text[] END
                   || CASE WHEN p.status = 'moved_out' AND NOT 'person_moved_out' = ANY (v.flags)
                           THEN ARRAY['person_moved_out'] ELSE '{}'::text[] END
                   || CASE WHEN p.status = 'deceased' AND NOT 'person_deceased' = ANY (v.flags)
                           THEN ARRAY['person_deceased'] ELSE '{}'::text[] END
      FROM vrs.coupon c
      JOIN vrs.person p ON p.municipality_code = c.municipality_code AND p.person_id = c.person_id
     WHERE v.municipality_code = v_code AND v.person_id IS NULL AND v.coupon_number IS NOT NULL
       AND c.municipality_code = v_code AND p.municipality_code = v_code AND c.coupon_number = v.coupon_number;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION vrs.link_pending_vaccinations(char) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.link_pending_vaccinations(char) TO vrs_municipal;
