-- 0012 corrections: doses and registrations can be put right, and every change leaves a trace that
-- nobody can lose.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
-- Needs vrs.store_vaccination and the owner policies of 0009, vrs.append_audit_event_in (0005).
--
--   * vrs.record_change: the history. One row per change of a person, coupon or dose row, written
--     by a BEFORE UPDATE trigger on the three tables, whoever updates them (staff through RLS, the
--     owner's doors, an import, a status change, linking a pending dose): old and new values of
--     the columns that changed, the action, the reason, the actor and the request. Append-only
--     for everyone, the owner included (UPDATE, DELETE and TRUNCATE refused by trigger); staff read
--     their own municipality's rows; no role may insert one by hand (the trigger function is the
--     owner's, SECURITY DEFINER). The Individual Number never enters it: a changed number (same key
--     version, another blind index) shows as "personalNumber": "masked"; re-encryption under a new
--     key version (rotation) is no change.
--   * version on person and vaccination: raised by the same trigger when a traced column changes
--     (a value a client writes into it is ignored). The API's ETag; a correction names the version
--     it read and a door or an UPDATE ... WHERE version = that refuses a stale one.
--   * vaccination.state: 'recorded' counts; 'voided' (void) and 'moved' (handed over to another
--     municipality) stay for the history but count nowhere: not in the dose number the tablet
--     door checks (dose_mismatch), not as a duplicate, not in the pending list, the ledger export
--     or (later) inquiries, certificates and statistics. moved_to_code/moved_to_id name where a
--     handed-over dose went; received_from_code on the new row where it came from.
--   * person.merged_into: a registration merged into another is a tombstone pointing at it; its
--     coupons and doses belong to the kept one.
--   * vrs_municipal loses UPDATE and DELETE on vaccination and DELETE on person and coupon: a dose
--     changes only through the doors below (each checks the version, needs a reason, recomputes
--     the review flags and audits), and nothing is deleted by anyone. It keeps UPDATE on person
--     and coupon (imports, status flags, reissues, amends), which the trigger traces.
--   * Doors (SECURITY DEFINER, EXECUTE to vrs_municipal; the caller's own municipality, the
--     bound one, only): void_vaccination, amend_vaccination, move_vaccination (to another coupon
--     or person of the municipality), hand_over_vaccination (to the municipality the coupon really
--     belongs to: the one cross-tenant write, recorded in both histories and both audit chains),
--     merge_person. link_pending_vaccinations becomes a door too (it was SECURITY INVOKER and
--     needed UPDATE on vaccination).
--   * vrs.review_flags: the review flags of a dose at a place (coupon, person), computed in one
--     place for store_vaccination (replaced here, same signature) and the corrections. Voided and
--     moved doses are not counted.
--   * vrs.check_dose_fields: 0009's checks of a dose's product, date and texts, in one place for
--     store_vaccination and amend_vaccination.
--
-- SQLSTATEs (MESSAGE safe to show: never a name, a number or a date of birth):
--   VRS40 the version given is not the record's current one (HTTP 412); DETAIL: the current version
--   VRS41 no such dose or person in the caller's municipality (404)
--   VRS42 the record is not in a state that allows the correction: a voided or handed-over dose, a
--         merged registration (409)
--   VRS43 reason missing or over 500 characters, or no field to amend (422)
--   VRS44 the target (coupon, person, municipality) does not exist or is not allowed (422)
--   VRS45 the target is where the record is already (422)
--   VRS46 the target already holds this dose of that coupon (409)
--   VRS30, VRS31, VRS34 as in 0009 for amended product, date and texts
--
-- Locks: ADD COLUMN with constant defaults (no rewrite) and the CHECK constraints scan each
-- partition of person and vaccination once under ACCESS EXCLUSIVE; the triggers take SHARE ROW
-- EXCLUSIVE on every partition of the three tables: about 5,300 locks with 1,750 municipalities,
-- inside the default lock table (64 x max_connections 100). Partitions of record_change for
-- municipalities provisioned earlier are created by the runner after the migrations, one
-- municipality per transaction (Migrator.secureExistingPartitions).

------------------------------------------------------------------------------------------------
-- Columns.
------------------------------------------------------------------------------------------------
ALTER TABLE vrs.vaccination
    ADD COLUMN version int NOT NULL DEFAULT 1 CONSTRAINT vaccination_version_check CHECK (version > 0),
    ADD COLUMN state text NOT NULL DEFAULT 'recorded'
        CONSTRAINT vaccination_state_check CHECK (state IN ('recorded', 'voided', 'moved')),
    ADD COLUMN moved_to_code char(6),
    ADD COLUMN moved_to_id uuid,
    ADD COLUMN received_from_code char(6),
    ADD CONSTRAINT vaccination_moved_check CHECK ((state = 'moved') = (moved_to_code IS NOT NULL));
COMMENT ON COLUMN vrs.vaccination.state IS
    'recorded counts; voided and moved (handed over to moved_to_code) stay for the history and count nowhere.';
COMMENT ON COLUMN vrs.vaccination.version IS 'Raised by vrs.trace_record_change on every traced change: the ETag.';

ALTER TABLE vrs.person
    ADD COLUMN version int NOT NULL DEFAULT 1 CONSTRAINT person_version_check CHECK (version > 0),
    ADD COLUMN merged_into uuid,
    ADD CONSTRAINT person_merged_check CHECK (merged_into IS DISTINCT FROM person_id);
COMMENT ON COLUMN vrs.person.merged_into IS
    'Set on a tombstone: this registration was merged into that person of the same municipality.';

-- Doses and registrations are corrected, never deleted; doses only through the doors.
REVOKE UPDATE, DELETE ON vrs.vaccination FROM vrs_municipal;
REVOKE DELETE ON vrs.person, vrs.coupon FROM vrs_municipal;

-- The doors update rows of the bound municipality only, as 0009's read and insert policies.
CREATE POLICY owner_bound_update ON vrs.vaccination FOR UPDATE TO vrs_owner
    USING (municipality_code = vrs.current_municipality()) WITH CHECK (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound_update ON vrs.person FOR UPDATE TO vrs_owner
    USING (municipality_code = vrs.current_municipality()) WITH CHECK (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound_update ON vrs.coupon FOR UPDATE TO vrs_owner
    USING (municipality_code = vrs.current_municipality()) WITH CHECK (municipality_code = vrs.current_municipality());

------------------------------------------------------------------------------------------------
-- The history.
------------------------------------------------------------------------------------------------
CREATE SEQUENCE vrs.record_change_id AS bigint;
REVOKE ALL ON SEQUENCE vrs.record_change_id FROM PUBLIC;

CREATE TABLE vrs.record_change (
    municipality_code char(6) NOT NULL,
    change_id         bigint NOT NULL DEFAULT nextval('vrs.record_change_id'),
    changed_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    record_type       text NOT NULL CONSTRAINT record_change_type_check CHECK (record_type IN ('person', 'coupon', 'vaccination')),
    record_id         uuid NOT NULL,
    person_ids        uuid[] NOT NULL DEFAULT '{}',
    action            text NOT NULL CONSTRAINT record_change_action_check CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    reason            text CONSTRAINT record_change_reason_check CHECK (length(reason) <= 500),
    actor_id          text,
    actor_role        text,
    request_id        text,
    old_values        jsonb NOT NULL DEFAULT '{}',
    new_values        jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (municipality_code, change_id)
) PARTITION BY LIST (municipality_code);
COMMENT ON TABLE vrs.record_change IS
    'Every change of a person, coupon or dose row: old and new values, action, reason, actor. Append-only; never an Individual Number.';
CREATE INDEX record_change_person_idx ON vrs.record_change USING gin (person_ids);
CREATE INDEX record_change_record_idx ON vrs.record_change (municipality_code, record_id);
ALTER TABLE vrs.record_change ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.record_change FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.record_change FROM PUBLIC;
GRANT SELECT ON vrs.record_change TO vrs_municipal;
CREATE POLICY municipal_read ON vrs.record_change FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound_insert ON vrs.record_change FOR INSERT TO vrs_owner
    WITH CHECK (municipality_code = vrs.current_municipality());

CREATE FUNCTION vrs.record_change_refuse() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'vrs.record_change is append-only: % refused', TG_OP USING ERRCODE = 'VRS03';
END
$$;
REVOKE ALL ON FUNCTION vrs.record_change_refuse() FROM PUBLIC;
CREATE TRIGGER record_change_append_only BEFORE UPDATE OR DELETE ON vrs.record_change
    FOR EACH ROW EXECUTE FUNCTION vrs.record_change_refuse();
-- Copied onto each partition by create_municipality_partitions (statement triggers are not cloned).
CREATE TRIGGER record_change_no_truncate BEFORE TRUNCATE ON vrs.record_change
    FOR EACH STATEMENT EXECUTE FUNCTION vrs.record_change_refuse();

------------------------------------------------------------------------------------------------
-- The trace: BEFORE UPDATE FOR EACH ROW on person, coupon and vaccination (cloned to every
-- partition, present and future). TG_ARGV: record type, id column. Compares the rows as jsonb,
-- keeps the columns that changed (bookkeeping and key material left out), raises the version,
-- and writes one record_change row in the row's own municipality. Who and why come from
-- transaction settings the server (or a door) binds: vrs.actor_id, vrs.actor_role,
-- vrs.request_id, vrs.change_action, vrs.change_reason; like vrs.municipality they are labels,
-- not authentication (the audit chain holds the authenticated actor).
-- persons: the row's person (and the one it was merged into); coupons and doses: the person
-- before and after, so a moved dose shows in both histories.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.trace_record_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_type  text := TG_ARGV[0];
    v_o     jsonb := pg_catalog.to_jsonb(OLD);
    v_n     jsonb := pg_catalog.to_jsonb(NEW);
    v_skip  text[] := ARRAY['version', 'updated_at', 'created_at', 'recorded_at', 'individual_number_cipher',
                            'individual_number_index', 'key_version'];
    v_was   jsonb := '{}';
    v_now   jsonb := '{}';
    v_ids   uuid[];
    v_bound text := pg_catalog.current_setting('vrs.municipality', true);
BEGIN
    SELECT coalesce(pg_catalog.jsonb_object_agg(o.key, o.value), '{}'), coalesce(pg_catalog.jsonb_object_agg(o.key, n.value), '{}')
      INTO v_was, v_now
      FROM pg_catalog.jsonb_each(v_o) o JOIN pg_catalog.jsonb_each(v_n) n ON n.key = o.key
     WHERE o.value IS DISTINCT FROM n.value AND NOT o.key = ANY (v_skip);
    IF v_type = 'person' AND v_o -> 'key_version' = v_n -> 'key_version'
       AND v_o -> 'individual_number_index' IS DISTINCT FROM v_n -> 'individual_number_index' THEN
        v_was := v_was || '{"personalNumber": "masked"}';
        v_now := v_now || '{"personalNumber": "masked"}';
    END IF;

    IF v_now = '{}' THEN
        IF v_type <> 'coupon' THEN NEW.version := OLD.version; END IF;
        RETURN NEW;
    END IF;
    IF v_type <> 'coupon' THEN NEW.version := OLD.version + 1; END IF;

    IF v_type = 'person' THEN
        v_ids := ARRAY[NEW.person_id] || CASE WHEN v_n ->> 'merged_into' IS NULL THEN '{}'::uuid[]
                                              ELSE ARRAY[(v_n ->> 'merged_into')::uuid] END;
    ELSE
        SELECT coalesce(pg_catalog.array_agg(DISTINCT x), '{}') INTO v_ids
          FROM unnest(ARRAY[(v_o ->> 'person_id')::uuid, (v_n ->> 'person_id')::uuid]) AS x WHERE x IS NOT NULL;
    END IF;

    IF v_bound IS DISTINCT FROM NEW.municipality_code::text THEN
        PERFORM pg_catalog.set_config('vrs.municipality', NEW.municipality_code, true);
    END IF;
    INSERT INTO vrs.record_change (municipality_code, record_type, record_id, person_ids, action, reason, actor_id,
                                   actor_role, request_id, old_values, new_values)
    VALUES (NEW.municipality_code, v_type, (v_n ->> TG_ARGV[1])::uuid, v_ids,
            coalesce(nullif(pg_catalog.current_setting('vrs.change_action', true), ''), v_type || '.update'),
            nullif(pg_catalog.current_setting('vrs.change_reason', true), ''),
            nullif(pg_catalog.current_setting('vrs.actor_id', true), ''),
            coalesce(nullif(pg_catalog.current_setting('vrs.actor_role', true), ''),
                     nullif(pg_catalog.current_setting('role'), 'none')),
            nullif(pg_catalog.current_setting('vrs.request_id', true), ''),
            v_was, v_now);
    IF v_bound IS DISTINCT FROM NEW.municipality_code::text THEN
        PERFORM pg_catalog.set_config('vrs.municipality', coalesce(v_bound, ''), true);
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION vrs.trace_record_change() FROM PUBLIC;
-- The WHEN conditions keep the function off rows where nothing it traces changed, at no more cost
-- than a comparison: on a person, re-encryption under a new key version (rotation rewrites every
-- row) and bookkeeping columns. A person column added later must be added to the list (and a
-- client-set version fires the trigger, which puts it back). Measured on 100,000 persons
-- (bench/trace): without the conditions a rotation's rewrite took 2.8x as long.
CREATE TRIGGER trace_record_change BEFORE UPDATE ON vrs.person
    FOR EACH ROW
    WHEN (ROW(OLD.address_number, OLD.family_name, OLD.given_name, OLD.family_name_kana, OLD.given_name_kana,
              OLD.birth_date, OLD.sex, OLD.status, OLD.status_effective_on, OLD.destination_code, OLD.moved_in_on,
              OLD.merged_into, OLD.version)
          IS DISTINCT FROM
          ROW(NEW.address_number, NEW.family_name, NEW.given_name, NEW.family_name_kana, NEW.given_name_kana,
              NEW.birth_date, NEW.sex, NEW.status, NEW.status_effective_on, NEW.destination_code, NEW.moved_in_on,
              NEW.merged_into, NEW.version)
          OR (OLD.key_version = NEW.key_version AND OLD.individual_number_index IS DISTINCT FROM NEW.individual_number_index))
    EXECUTE FUNCTION vrs.trace_record_change('person', 'person_id');
CREATE TRIGGER trace_record_change BEFORE UPDATE ON vrs.coupon
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION vrs.trace_record_change('coupon', 'coupon_id');
CREATE TRIGGER trace_record_change BEFORE UPDATE ON vrs.vaccination
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION vrs.trace_record_change('vaccination', 'vaccination_id');

------------------------------------------------------------------------------------------------
-- The review flags of a dose at a place: the coupon p_coupon of municipality p_code (bound), for
-- dose p_dose given on p_vaccinated_on with p_product. p_self, a dose being moved or amended, is
-- left out of the count. Only 'recorded' doses count. Returns the coupon's person (NULL: not
-- registered, the dose is pending) and the flags, as store_vaccination documents them (0009).
-- Owner only (EXECUTE to nobody); runs with the caller's (the door's) rights.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.review_flags(p_code char(6), p_coupon char(10), p_dose smallint, p_vaccinated_on date,
                                 p_product text, p_self uuid)
    RETURNS TABLE (person_id uuid, flags text[])
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_code  char(6) := p_code;
    v_flags text[] := '{}';
    v_c     record;
    v_count bigint;
    v_last  date;
    v_rule  record;
BEGIN
    SELECT c.person_id, c.status AS coupon_status, p.status AS person_status INTO v_c
      FROM vrs.coupon c
      JOIN vrs.person p ON p.municipality_code = c.municipality_code AND p.person_id = c.person_id
     WHERE c.municipality_code = v_code AND p.municipality_code = v_code AND c.coupon_number = p_coupon;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM vrs.coupon c WHERE c.municipality_code = v_code) THEN
            v_flags := v_flags || 'coupon_unknown'::text;
        END IF;
        RETURN QUERY SELECT NULL::uuid, v_flags;
        RETURN;
    END IF;
    IF v_c.coupon_status <> 'active' THEN v_flags := v_flags || 'coupon_superseded'::text; END IF;
    IF v_c.person_status = 'moved_out' THEN v_flags := v_flags || 'person_moved_out'::text; END IF;
    IF v_c.person_status = 'deceased' THEN v_flags := v_flags || 'person_deceased'::text; END IF;
    SELECT count(*), max(v.vaccinated_on) FILTER (WHERE v.vaccinated_on <= p_vaccinated_on)
      INTO v_count, v_last
      FROM vrs.vaccination v
     WHERE v.municipality_code = v_code AND v.person_id = v_c.person_id AND v.state = 'recorded'
       AND v.vaccination_id IS DISTINCT FROM p_self;
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
    RETURN QUERY SELECT v_c.person_id, v_flags;
END
$$;
REVOKE ALL ON FUNCTION vrs.review_flags(char, char, smallint, date, text, uuid) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- The checks a dose's fields pass, new or amended, in the order a client would fix them (0009's
-- rules, now in one place): VRS30 unknown product (HINT: the accepted codes), VRS31 date missing,
-- in the future (Japan's date) or before the product's approval, VRS34 lot empty or over 20,
-- site over 30, doctor over 20 characters. Takes trimmed values. Owner only (EXECUTE to nobody).
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.check_dose_fields(p_product text, p_vaccinated_on date, p_lot text, p_site text, p_doctor text)
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_today    date := (pg_catalog.now() AT TIME ZONE 'Asia/Tokyo')::date;
    v_approved date;
BEGIN
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
    IF p_lot IS NULL OR p_lot = '' THEN
        RAISE EXCEPTION 'the lot number is empty' USING ERRCODE = 'VRS34';
    ELSIF length(p_lot) > 20 THEN
        RAISE EXCEPTION 'the lot number is longer than 20 characters' USING ERRCODE = 'VRS34';
    ELSIF length(p_site) > 30 THEN
        RAISE EXCEPTION 'the site name is longer than 30 characters' USING ERRCODE = 'VRS34';
    ELSIF length(p_doctor) > 20 THEN
        RAISE EXCEPTION 'the doctor name is longer than 20 characters' USING ERRCODE = 'VRS34';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION vrs.check_dose_fields(text, date, text, text, text) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- store_vaccination (0009) with three changes, same signature and grants (none): a voided or
-- handed-over dose is no duplicate of the coupon and dose (a retry with the same client record
-- id still is: it was stored once), and the flags come from review_flags, which counts recorded
-- doses only; the field checks are check_dose_fields.
------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION vrs.store_vaccination(
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
    v_lot      text := pg_catalog.btrim(p_lot, E' \t\u3000');
    v_site     text := nullif(pg_catalog.btrim(p_site, E' \t\u3000'), '');
    v_doctor   text := nullif(pg_catalog.btrim(p_doctor, E' \t\u3000'), '');
    v_record   text := nullif(pg_catalog.btrim(p_client_record_id), '');
    v_result   text;
    v_flags    text[] := '{}';
    v_id       uuid;
    v_person   uuid;
    v_dose     smallint := p_dose;
BEGIN
    -- Input checks, in the order a client would fix them. Nothing below echoes personal data.
    PERFORM vrs.check_dose_fields(p_product, p_vaccinated_on, v_lot, v_site, v_doctor);
    IF length(v_record) > 64 THEN
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
           AND v.state = 'recorded'
         ORDER BY v.recorded_at, v.vaccination_id
         LIMIT 1;
    END IF;

    IF v_id IS NOT NULL THEN
        v_result := 'duplicate';
    ELSE
        v_dose := p_dose;
        v_flags := '{}';
        SELECT f.person_id, f.flags INTO v_person, v_flags
          FROM vrs.review_flags(v_code, v_coupon, p_dose, p_vaccinated_on, p_product, NULL) f;
        v_result := CASE WHEN v_person IS NULL THEN 'pending_registration' ELSE 'recorded' END;

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
-- What every correction door does first. correction_begin checks the reason (trimmed, 1-500
-- characters) and binds who and why for the trace; correction_dose locks the caller's dose and
-- checks its version and state. Owner only (EXECUTE to nobody).
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.correction_begin(p_action text, p_reason text, p_actor_id text, p_request_id text) RETURNS text
    LANGUAGE plpgsql
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_reason text := pg_catalog.btrim(p_reason, E' \t\r\n\u3000');
BEGIN
    IF vrs.current_municipality() IS NULL THEN
        RAISE EXCEPTION 'no municipality is bound' USING ERRCODE = '42501';
    END IF;
    IF v_reason IS NULL OR v_reason = '' THEN
        RAISE EXCEPTION 'a correction needs a reason' USING ERRCODE = 'VRS43';
    ELSIF pg_catalog.length(v_reason) > 500 THEN
        RAISE EXCEPTION 'the reason is longer than 500 characters' USING ERRCODE = 'VRS43';
    END IF;
    PERFORM pg_catalog.set_config('vrs.change_action', p_action, true),
            pg_catalog.set_config('vrs.change_reason', v_reason, true),
            pg_catalog.set_config('vrs.actor_id', coalesce(p_actor_id, ''), true),
            pg_catalog.set_config('vrs.actor_role',
                CASE pg_catalog.current_setting('role') WHEN 'vrs_municipal_admin' THEN 'admin' ELSE 'staff' END, true),
            pg_catalog.set_config('vrs.request_id', coalesce(p_request_id, ''), true);
    RETURN v_reason;
END
$$;
REVOKE ALL ON FUNCTION vrs.correction_begin(text, text, text, text) FROM PUBLIC;

-- Unbinds the action and reason, so that a later statement of the transaction is not traced as
-- part of this correction.
CREATE FUNCTION vrs.correction_end() RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.set_config('vrs.change_action', '', true), pg_catalog.set_config('vrs.change_reason', '', true);
$$;
REVOKE ALL ON FUNCTION vrs.correction_end() FROM PUBLIC;

CREATE FUNCTION vrs.correction_dose(p_id uuid, p_version int) RETURNS vrs.vaccination
    LANGUAGE plpgsql
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_code char(6) := vrs.current_municipality();
    v_row  vrs.vaccination;
BEGIN
    SELECT * INTO v_row FROM vrs.vaccination v
     WHERE v.municipality_code = v_code AND v.vaccination_id = p_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no dose % in your municipality', p_id USING ERRCODE = 'VRS41';
    END IF;
    IF p_version IS NULL OR v_row.version <> p_version THEN
        RAISE EXCEPTION 'the dose is at version %, not %: it was changed since it was read', v_row.version,
            coalesce(p_version::text, 'none') USING ERRCODE = 'VRS40', DETAIL = v_row.version::text,
            HINT = 'Read it again and repeat the correction.';
    END IF;
    IF v_row.state <> 'recorded' THEN
        RAISE EXCEPTION 'the dose is %: it can no longer be corrected', v_row.state USING ERRCODE = 'VRS42';
    END IF;
    RETURN v_row;
END
$$;
REVOKE ALL ON FUNCTION vrs.correction_dose(uuid, int) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- Void: the dose stops counting and stays, with who, when and why in the history and the audit
-- chain (details: the dose number, never the reason, which is free text). Returns the new version.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.void_vaccination(p_id uuid, p_version int, p_reason text, p_actor_id text, p_request_id text)
    RETURNS int
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_code    char(6) := vrs.current_municipality();
    v_row     vrs.vaccination;
    v_version int;
BEGIN
    PERFORM vrs.correction_begin('vaccination.void', p_reason, p_actor_id, p_request_id);
    v_row := vrs.correction_dose(p_id, p_version);
    UPDATE vrs.vaccination v SET state = 'voided'
     WHERE v.municipality_code = v_code AND v.vaccination_id = p_id
    RETURNING v.version INTO v_version;
    PERFORM vrs.correction_end();
    PERFORM vrs.append_audit_event_in(v_code, p_actor_id, pg_catalog.current_setting('vrs.actor_role', true),
        'vaccination.void', 'vaccination', p_id::text, 'success', p_request_id, NULL,
        jsonb_build_object('dose', v_row.dose::text, 'couponNumber', v_row.coupon_number::text));
    RETURN v_version;
END
$$;
REVOKE ALL ON FUNCTION vrs.void_vaccination(uuid, int, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.void_vaccination(uuid, int, text, text, text) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- Amend: the fields named in p_fields (product, lotNumber, vaccinatedOn, siteName, doctorName)
-- take the values given (a NULL site or doctor clears it); the others stay. Checked as a new dose
-- is (VRS30, VRS31, VRS34); the flags are recomputed where the dose is. Returns the new version.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.amend_vaccination(p_id uuid, p_version int, p_reason text, p_fields text[], p_product text,
                                      p_lot text, p_vaccinated_on date, p_site text, p_doctor text,
                                      p_actor_id text, p_request_id text)
    RETURNS int
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_code     char(6) := vrs.current_municipality();
    v_row      vrs.vaccination;
    v_product  text;
    v_lot      text;
    v_on       date;
    v_site     text;
    v_doctor   text;
    v_flags    text[];
    v_version  int;
BEGIN
    PERFORM vrs.correction_begin('vaccination.amend', p_reason, p_actor_id, p_request_id);
    IF p_fields IS NULL OR cardinality(p_fields) = 0
       OR NOT p_fields <@ ARRAY['product', 'lotNumber', 'vaccinatedOn', 'siteName', 'doctorName'] THEN
        RAISE EXCEPTION 'name one or more of product, lotNumber, vaccinatedOn, siteName, doctorName to amend'
            USING ERRCODE = 'VRS43';
    END IF;
    v_row := vrs.correction_dose(p_id, p_version);
    v_product := CASE WHEN 'product' = ANY (p_fields) THEN p_product ELSE v_row.product_code END;
    v_lot := CASE WHEN 'lotNumber' = ANY (p_fields) THEN pg_catalog.btrim(p_lot, E' \t\u3000') ELSE v_row.lot_number END;
    v_on := CASE WHEN 'vaccinatedOn' = ANY (p_fields) THEN p_vaccinated_on ELSE v_row.vaccinated_on END;
    v_site := CASE WHEN 'siteName' = ANY (p_fields) THEN nullif(pg_catalog.btrim(p_site, E' \t\u3000'), '') ELSE v_row.site_name END;
    v_doctor := CASE WHEN 'doctorName' = ANY (p_fields) THEN nullif(pg_catalog.btrim(p_doctor, E' \t\u3000'), '') ELSE v_row.doctor_name END;

    PERFORM vrs.check_dose_fields(v_product, v_on, v_lot, v_site, v_doctor);

    v_flags := v_row.flags;
    IF v_row.person_id IS NOT NULL AND (v_on <> v_row.vaccinated_on OR v_product <> v_row.product_code) THEN
        SELECT f.flags INTO v_flags
          FROM vrs.review_flags(v_code, v_row.coupon_number, v_row.dose, v_on, v_product, p_id) f;
    END IF;
    UPDATE vrs.vaccination v
       SET product_code = v_product, lot_number = v_lot, vaccinated_on = v_on, site_name = v_site,
           doctor_name = v_doctor, flags = v_flags
     WHERE v.municipality_code = v_code AND v.vaccination_id = p_id
    RETURNING v.version INTO v_version;
    PERFORM vrs.correction_end();
    PERFORM vrs.append_audit_event_in(v_code, p_actor_id, pg_catalog.current_setting('vrs.actor_role', true),
        'vaccination.amend', 'vaccination', p_id::text, 'success', p_request_id, NULL,
        jsonb_build_object('fields', array_to_string(p_fields, ','), 'dose', v_row.dose::text));
    RETURN v_version;
END
$$;
REVOKE ALL ON FUNCTION vrs.amend_vaccination(uuid, int, text, text[], text, text, date, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.amend_vaccination(uuid, int, text, text[], text, text, date, text, text, text, text) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- Move within the municipality: to the coupon p_coupon (its person), or to the person p_person
-- (onto their active coupon, else their latest). Both given: the coupon must be that person's. A dose
-- waiting for registration becomes recorded. Refused when the target already holds a recorded
-- dose of that number on that coupon (VRS46). The flags are those of the new place. Serialised
-- with the tablet door by the same advisory lock on the target coupon. Returns the new version.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.move_vaccination(p_id uuid, p_version int, p_reason text, p_coupon char(10), p_person uuid,
                                     p_actor_id text, p_request_id text)
    RETURNS int
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_code    char(6) := vrs.current_municipality();
    v_row     vrs.vaccination;
    v_coupon  char(10) := p_coupon;
    v_person  uuid := p_person;
    v_owner   uuid;
    v_flags   text[];
    v_version int;
BEGIN
    PERFORM vrs.correction_begin('vaccination.move', p_reason, p_actor_id, p_request_id);
    IF v_coupon IS NULL AND v_person IS NULL THEN
        RAISE EXCEPTION 'name the coupon number or the person the dose belongs to' USING ERRCODE = 'VRS44';
    END IF;
    v_row := vrs.correction_dose(p_id, p_version);
    IF v_coupon IS NOT NULL THEN
        SELECT c.person_id INTO v_owner FROM vrs.coupon c WHERE c.municipality_code = v_code AND c.coupon_number = v_coupon;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no coupon % in your municipality', v_coupon USING ERRCODE = 'VRS44', HINT = 'couponNumber';
        END IF;
        IF v_person IS NOT NULL AND v_person <> v_owner THEN
            RAISE EXCEPTION 'coupon % is not that person''s', v_coupon USING ERRCODE = 'VRS44', HINT = 'couponNumber';
        END IF;
        v_person := v_owner;
    ELSE
        IF NOT EXISTS (SELECT 1 FROM vrs.person p WHERE p.municipality_code = v_code AND p.person_id = v_person) THEN
            RAISE EXCEPTION 'no person % in your municipality', v_person USING ERRCODE = 'VRS44', HINT = 'personId';
        END IF;
        SELECT c.coupon_number INTO v_coupon FROM vrs.coupon c
         WHERE c.municipality_code = v_code AND c.person_id = v_person
         ORDER BY c.status = 'active' DESC, c.created_at DESC, c.coupon_id LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'person % has no coupon: issue one first', v_person USING ERRCODE = 'VRS44', HINT = 'personId';
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM vrs.person p WHERE p.municipality_code = v_code AND p.person_id = v_person
                                            AND p.merged_into IS NOT NULL) THEN
        RAISE EXCEPTION 'person % was merged into another registration', v_person USING ERRCODE = 'VRS44', HINT = 'personId';
    END IF;
    IF v_person IS NOT DISTINCT FROM v_row.person_id AND v_coupon IS NOT DISTINCT FROM v_row.coupon_number THEN
        RAISE EXCEPTION 'the dose is on that coupon and person already' USING ERRCODE = 'VRS45';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vrs.vaccination/coupon/' || v_code || '/' || v_coupon, 0));
    IF EXISTS (SELECT 1 FROM vrs.vaccination v
                WHERE v.municipality_code = v_code AND v.coupon_number = v_coupon AND v.dose = v_row.dose
                  AND v.state = 'recorded' AND v.vaccination_id <> p_id) THEN
        RAISE EXCEPTION 'coupon % holds dose % already', v_coupon, v_row.dose USING ERRCODE = 'VRS46',
            HINT = 'If this record repeats that one, void it instead.';
    END IF;
    SELECT f.flags INTO v_flags
      FROM vrs.review_flags(v_code, v_coupon, v_row.dose, v_row.vaccinated_on, v_row.product_code, p_id) f;
    UPDATE vrs.vaccination v SET person_id = v_person, coupon_number = v_coupon, flags = v_flags
     WHERE v.municipality_code = v_code AND v.vaccination_id = p_id
    RETURNING v.version INTO v_version;
    PERFORM vrs.correction_end();
    PERFORM vrs.append_audit_event_in(v_code, p_actor_id, pg_catalog.current_setting('vrs.actor_role', true),
        'vaccination.move', 'vaccination', p_id::text, 'success', p_request_id, NULL,
        jsonb_build_object('dose', v_row.dose::text, 'fromCoupon', coalesce(v_row.coupon_number::text, ''),
                           'toCoupon', coalesce(v_coupon::text, ''), 'toPerson', v_person::text));
    RETURN v_version;
END
$$;
REVOKE ALL ON FUNCTION vrs.move_vaccination(uuid, int, text, char, uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.move_vaccination(uuid, int, text, char, uuid, text, text) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- Hand-over: a dose whose coupon code was misread into this municipality (or typed into the
-- wrong one) goes to the municipality p_to the coupon really belongs to, on coupon p_coupon
-- there (default: the same coupon number). The one write into another tenant besides the tablet
-- door, and as narrow: a new row in p_to (recorded when p_to has the coupon registered, pending
-- otherwise, with p_to's review flags and received_from_code), p_to's history and audit chain
-- say who handed it over, when and why (vaccination.receive); here the dose becomes 'moved' with
-- moved_to_code/moved_to_id, traced and audited as vaccination.hand_over. Nothing of p_to is
-- answered but its name and the new record's result. Refused when p_to holds that dose of that
-- coupon already (VRS46): then the record here is a repeat, to be voided.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.hand_over_vaccination(p_id uuid, p_version int, p_reason text, p_to char(6), p_coupon char(10),
                                          p_actor_id text, p_request_id text)
    RETURNS TABLE (version int, received_id uuid, result text, municipality_name text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_from    char(6) := vrs.current_municipality();
    v_to      char(6) := p_to;
    v_reason  text;
    v_role    text;
    v_row     vrs.vaccination;
    v_coupon  char(10);
    v_person  uuid;
    v_flags   text[];
    v_new     uuid;
    v_name    text;
    v_version int;
BEGIN
    v_reason := vrs.correction_begin('vaccination.hand_over', p_reason, p_actor_id, p_request_id);
    v_role := pg_catalog.current_setting('vrs.actor_role', true);
    IF v_to IS NULL OR v_to !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'name the municipality the dose belongs to' USING ERRCODE = 'VRS44', HINT = 'municipalityCode';
    END IF;
    IF v_to = v_from THEN
        RAISE EXCEPTION 'the dose is in municipality % already', v_to USING ERRCODE = 'VRS45';
    END IF;
    SELECT m.name INTO v_name FROM vrs.municipality m WHERE m.code = v_to AND m.status = 'active';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'municipality % is not provisioned here, or is suspended', v_to
            USING ERRCODE = 'VRS44', HINT = 'municipalityCode';
    END IF;
    v_row := vrs.correction_dose(p_id, p_version);
    v_coupon := coalesce(p_coupon, v_row.coupon_number);
    IF v_coupon IS NULL THEN
        RAISE EXCEPTION 'name the coupon number the dose belongs to in %', v_to USING ERRCODE = 'VRS44', HINT = 'couponNumber';
    END IF;

    -- The receiving side, bound to v_to for its duration (the owner policies admit it alone).
    PERFORM pg_catalog.set_config('vrs.municipality', v_to, true);
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('vrs.vaccination/coupon/' || v_to || '/' || v_coupon, 0));
    IF EXISTS (SELECT 1 FROM vrs.vaccination v
                WHERE v.municipality_code = v_to AND v.coupon_number = v_coupon AND v.dose = v_row.dose
                  AND v.state = 'recorded') THEN
        RAISE EXCEPTION 'municipality % holds dose % of coupon % already', v_to, v_row.dose, v_coupon
            USING ERRCODE = 'VRS46', HINT = 'If this record repeats that one, void it instead.';
    END IF;
    SELECT f.person_id, f.flags INTO v_person, v_flags
      FROM vrs.review_flags(v_to, v_coupon, v_row.dose, v_row.vaccinated_on, v_row.product_code, NULL) f;
    INSERT INTO vrs.vaccination (municipality_code, person_id, coupon_number, dose, vaccinated_on, product_code,
                                 lot_number, site_name, doctor_name, source, device_id, flags, received_from_code)
    VALUES (v_to, v_person, v_coupon, v_row.dose, v_row.vaccinated_on, v_row.product_code, v_row.lot_number,
            v_row.site_name, v_row.doctor_name, v_row.source, v_row.device_id, v_flags, v_from)
    RETURNING vaccination_id INTO v_new;
    INSERT INTO vrs.record_change (municipality_code, record_type, record_id, person_ids, action, reason, actor_id,
                                   actor_role, request_id, old_values, new_values)
    VALUES (v_to, 'vaccination', v_new, CASE WHEN v_person IS NULL THEN '{}'::uuid[] ELSE ARRAY[v_person] END,
            'vaccination.receive', v_reason, p_actor_id, v_role, p_request_id, '{}'::jsonb,
            jsonb_build_object('received_from_code', v_from, 'coupon_number', v_coupon, 'dose', v_row.dose,
                               'person_id', v_person, 'flags', to_jsonb(v_flags)));
    PERFORM vrs.append_audit_event_in(v_to, p_actor_id, v_role, 'vaccination.receive', 'vaccination', v_new::text,
        'success', p_request_id, NULL,
        jsonb_build_object('fromMunicipality', v_from::text, 'dose', v_row.dose::text, 'couponNumber', v_coupon::text,
                           'result', CASE WHEN v_person IS NULL THEN 'pending_registration' ELSE 'recorded' END,
                           'flags', array_to_string(v_flags, ',')));

    -- The handing side.
    PERFORM pg_catalog.set_config('vrs.municipality', v_from, true);
    UPDATE vrs.vaccination v SET state = 'moved', moved_to_code = v_to, moved_to_id = v_new
     WHERE v.municipality_code = v_from AND v.vaccination_id = p_id
    RETURNING v.version INTO v_version;
    PERFORM vrs.correction_end();
    PERFORM vrs.append_audit_event_in(v_from, p_actor_id, v_role, 'vaccination.hand_over', 'vaccination', p_id::text,
        'success', p_request_id, NULL,
        jsonb_build_object('toMunicipality', v_to::text, 'dose', v_row.dose::text, 'couponNumber', v_coupon::text));
    RETURN QUERY SELECT v_version, v_new, CASE WHEN v_person IS NULL THEN 'pending_registration' ELSE 'recorded' END, v_name;
END
$$;
REVOKE ALL ON FUNCTION vrs.hand_over_vaccination(uuid, int, text, char, char, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.hand_over_vaccination(uuid, int, text, char, char, text, text) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- Merge: two registrations of one person in the municipality. The coupons and doses of
-- p_duplicate go to p_kept; p_duplicate becomes a tombstone (merged_into = p_kept) that keeps
-- its values for the history. p_version is p_duplicate's. The kept person's flags on the moved
-- doses are not recomputed (the order of the two series is for staff to judge).
-- Returns how many coupons and doses moved.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.merge_person(p_duplicate uuid, p_version int, p_kept uuid, p_reason text, p_actor_id text,
                                 p_request_id text)
    RETURNS TABLE (coupons int, doses int)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_code    char(6) := vrs.current_municipality();
    v_dup     record;
    v_kept    record;
    v_coupons int;
    v_doses   int;
BEGIN
    PERFORM vrs.correction_begin('person.merge', p_reason, p_actor_id, p_request_id);
    IF p_kept IS NULL THEN
        RAISE EXCEPTION 'name the person to merge into' USING ERRCODE = 'VRS44', HINT = 'intoPersonId';
    END IF;
    IF p_kept = p_duplicate THEN
        RAISE EXCEPTION 'a person cannot be merged into itself' USING ERRCODE = 'VRS45';
    END IF;
    -- One lock order for both rows, whichever way two staff members merge them.
    PERFORM 1 FROM vrs.person p
     WHERE p.municipality_code = v_code AND p.person_id IN (p_duplicate, p_kept)
     ORDER BY p.person_id FOR UPDATE;
    SELECT p.version, p.merged_into INTO v_dup FROM vrs.person p
     WHERE p.municipality_code = v_code AND p.person_id = p_duplicate;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no person % in your municipality', p_duplicate USING ERRCODE = 'VRS41';
    END IF;
    IF p_version IS NULL OR v_dup.version <> p_version THEN
        RAISE EXCEPTION 'the person is at version %, not %: it was changed since it was read', v_dup.version,
            coalesce(p_version::text, 'none') USING ERRCODE = 'VRS40', DETAIL = v_dup.version::text,
            HINT = 'Read it again and repeat the correction.';
    END IF;
    IF v_dup.merged_into IS NOT NULL THEN
        RAISE EXCEPTION 'the person was merged into % already', v_dup.merged_into USING ERRCODE = 'VRS42';
    END IF;
    SELECT p.merged_into INTO v_kept FROM vrs.person p WHERE p.municipality_code = v_code AND p.person_id = p_kept;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no person % in your municipality', p_kept USING ERRCODE = 'VRS44', HINT = 'intoPersonId';
    END IF;
    IF v_kept.merged_into IS NOT NULL THEN
        RAISE EXCEPTION 'person % was merged into % itself', p_kept, v_kept.merged_into
            USING ERRCODE = 'VRS44', HINT = 'intoPersonId';
    END IF;

    UPDATE vrs.coupon c SET person_id = p_kept WHERE c.municipality_code = v_code AND c.person_id = p_duplicate;
    GET DIAGNOSTICS v_coupons = ROW_COUNT;
    UPDATE vrs.vaccination v SET person_id = p_kept WHERE v.municipality_code = v_code AND v.person_id = p_duplicate;
    GET DIAGNOSTICS v_doses = ROW_COUNT;
    UPDATE vrs.person p SET merged_into = p_kept, updated_at = now()
     WHERE p.municipality_code = v_code AND p.person_id = p_duplicate;
    PERFORM vrs.correction_end();
    PERFORM vrs.append_audit_event_in(v_code, p_actor_id, pg_catalog.current_setting('vrs.actor_role', true),
        'person.merge', 'person', p_duplicate::text, 'success', p_request_id, NULL,
        jsonb_build_object('into', p_kept::text, 'coupons', v_coupons::text, 'doses', v_doses::text));
    RETURN QUERY SELECT v_coupons, v_doses;
END
$$;
REVOKE ALL ON FUNCTION vrs.merge_person(uuid, int, uuid, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.merge_person(uuid, int, uuid, text, text, text) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- Linking pending doses (0009) becomes a door: vrs_municipal no longer updates doses itself.
-- Same signature and grant; links in the caller's own (bound) municipality only, recorded doses
-- only, traced as vaccination.link.
------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION vrs.link_pending_vaccinations(p_code char(6)) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_code   char(6) := vrs.current_municipality();
    v_action text := pg_catalog.current_setting('vrs.change_action', true);
    v_n      integer;
BEGIN
    IF v_code IS NULL OR p_code IS DISTINCT FROM v_code THEN
        RETURN 0;
    END IF;
    PERFORM pg_catalog.set_config('vrs.change_action', 'vaccination.link', true);
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
       AND v.state = 'recorded'
       AND c.municipality_code = v_code AND p.municipality_code = v_code AND c.coupon_number = v.coupon_number;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    PERFORM pg_catalog.set_config('vrs.change_action', coalesce(v_action, ''), true);
    RETURN v_n;
END
$$;
