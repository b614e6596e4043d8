-- 0015 statistics: daily dose counts for the nation, the prefectures and the municipalities, kept
-- as doses are written, and the viewer account kind that sees them and nothing else.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
-- Needs vrs_viewer (bootstrap.sql), vrs.append_audit_event_in (0005), vrs.operator_of (0008).
--
-- Counts. A dose counts when it is recorded (not voided, not handed over), belongs to a person
-- (not a pending tablet read) and is not a copy a transfer inquiry brought in (the dose is counted
-- where it was given). vrs.dose_tally holds one row per municipality, day, dose number, sex, age
-- band (age on the day of the dose) and medical worker; vrs.dose_tally_prefecture the same per
-- prefecture. Both are unpartitioned: the national answer is one index range over at most
-- 47 x days x cells rows, whatever the population, and never touches a partition. The AFTER
-- triggers vaccination_tally (INSERT) and vaccination_tally_change (UPDATE of state, person, day
-- or dose number: void, move, hand-over, amend, merge, linking a pending read) and person_tally
-- (UPDATE of sex or birth date) add and take away in the writer's own transaction, so a count
-- is exactly the committed doses (new doses are counted once a statement, from its transition
-- table; changes row by row). Both tallies are derived data that can identify people in small
-- places: no caller role has any privilege on them; they are read through the door below only.
--   The medical-worker flag of the open data is always false: the registration file carries no
--   such field (the VRS took medical workers from a separate list).
--
-- Settings (owner-written, by `vrs statistics configure`): vrs.statistics_age_band (the bands,
-- default -64 and 65-; an age in no band is UNK) and vrs.statistics_setting.min_cell (default
-- 10). Changing bands rebuilds the tallies one municipality at a time with
-- vrs.rebuild_dose_tally(code), which locks that municipality's person and vaccination
-- partitions in SHARE mode for its duration (writers there wait; others go on). The runner calls
-- it once for every municipality that has no vrs.dose_tally_built row (those provisioned before
-- this migration), one per transaction.
--
-- Viewers. account.role 'viewer' with prefecture_code (NULL = the nation); created by an operator
-- through vrs.create_viewer (audited in the central chain). vrs_viewer holds USAGE on the schema
-- and EXECUTE on the statistics doors only: no table, no personal data.
--
-- The door vrs.vaccination_statistics(token hash, by, prefecture, from, to) finds the caller's
-- scope from its live session (an operator: the nation; a viewer: its scope; staff and admins:
-- their own municipality, which must be the bound one) and refuses a prefecture outside it
-- (VRS70). By prefecture (operators, viewers) it reads dose_tally_prefecture; by municipality it
-- reads dose_tally and suppresses cells under min_cell (count NULL), and where a cell of a
-- prefecture's (day, sex, age, dose) group is the only one suppressed it suppresses the next
-- smallest too, so that the prefecture total cannot give it away by difference.
-- vrs.record_statistics_read(…) makes the same checks and audits the question (statistics.read)
-- in the caller's chain under the session's user; the server calls it before the first byte.
-- Errors: VRS22 no live session; VRS70 outside the caller's scope; VRS71 no such prefecture;
-- VRS72 malformed age bands.
--
-- Locks: ALTER TABLE on account and session; CREATE TRIGGER on vaccination and person takes SHARE
-- ROW EXCLUSIVE on every partition of both (about 3,500 locks with 1,750 municipalities).

------------------------------------------------------------------------------------------------
-- Viewer accounts.
------------------------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA vrs TO vrs_viewer;

ALTER TABLE vrs.account
    DROP CONSTRAINT account_role_check,
    DROP CONSTRAINT account_role_municipality_check,
    ADD COLUMN prefecture_code char(2) CONSTRAINT account_prefecture_code_check CHECK (prefecture_code ~ '^[0-9]{2}$'),
    ADD CONSTRAINT account_role_check CHECK (role IN ('operator', 'admin', 'staff', 'viewer')),
    ADD CONSTRAINT account_role_municipality_check CHECK ((role IN ('operator', 'viewer')) = (municipality_code IS NULL)),
    ADD CONSTRAINT account_prefecture_viewer_check CHECK (prefecture_code IS NULL OR role = 'viewer');
COMMENT ON COLUMN vrs.account.prefecture_code IS
    'A viewer''s scope: one prefecture (JIS X 0401 code), or NULL for the nation. NULL for every other role.';
GRANT SELECT (prefecture_code) ON vrs.account TO vrs_operator;

ALTER TABLE vrs.session
    DROP CONSTRAINT session_role_check,
    DROP CONSTRAINT session_role_municipality_check,
    ADD CONSTRAINT session_role_check CHECK (role IN ('operator', 'admin', 'staff', 'viewer')),
    ADD CONSTRAINT session_role_municipality_check CHECK ((role IN ('operator', 'viewer')) = (municipality_code IS NULL));

------------------------------------------------------------------------------------------------
-- Settings.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.statistics_age_band (
    label    text PRIMARY KEY CONSTRAINT statistics_age_band_label_check CHECK (label ~ '^[0-9]*-[0-9]*$' AND label <> '-'),
    min_age  smallint CONSTRAINT statistics_age_band_min_check CHECK (min_age >= 0),
    max_age  smallint,
    position smallint NOT NULL UNIQUE,
    CONSTRAINT statistics_age_band_range_check CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age)
);
COMMENT ON TABLE vrs.statistics_age_band IS
    'Age bands of the statistics (age on the day of the dose; bounds inclusive, NULL = open). An age in no band is UNK.';
INSERT INTO vrs.statistics_age_band (label, min_age, max_age, position) VALUES ('-64', NULL, 64, 1), ('65-', 65, NULL, 2);

CREATE TABLE vrs.statistics_setting (
    singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT statistics_setting_singleton_check CHECK (singleton),
    min_cell  int NOT NULL DEFAULT 10 CONSTRAINT statistics_setting_min_cell_check CHECK (min_cell BETWEEN 1 AND 1000)
);
COMMENT ON COLUMN vrs.statistics_setting.min_cell IS
    'Municipality-level cells with fewer doses than this are suppressed (answered without a count).';
INSERT INTO vrs.statistics_setting DEFAULT VALUES;

------------------------------------------------------------------------------------------------
-- The tallies.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.dose_tally (
    municipality_code char(6) NOT NULL,
    prefecture        char(2) NOT NULL,
    vaccinated_on     date NOT NULL,
    dose              smallint NOT NULL,
    sex               char(1) NOT NULL,
    age_band          text NOT NULL,
    medical_worker    boolean NOT NULL DEFAULT false,
    doses             int NOT NULL CONSTRAINT dose_tally_doses_check CHECK (doses >= 0),
    PRIMARY KEY (municipality_code, vaccinated_on, dose, sex, age_band, medical_worker),
    CONSTRAINT dose_tally_prefecture_check CHECK (prefecture = left(municipality_code, 2))
);
CREATE INDEX dose_tally_prefecture_idx ON vrs.dose_tally (prefecture, vaccinated_on);
CREATE INDEX dose_tally_day_idx ON vrs.dose_tally (vaccinated_on);

CREATE TABLE vrs.dose_tally_prefecture (
    prefecture     char(2) NOT NULL,
    vaccinated_on  date NOT NULL,
    dose           smallint NOT NULL,
    sex            char(1) NOT NULL,
    age_band       text NOT NULL,
    medical_worker boolean NOT NULL DEFAULT false,
    doses          int NOT NULL CONSTRAINT dose_tally_prefecture_doses_check CHECK (doses >= 0),
    PRIMARY KEY (prefecture, vaccinated_on, dose, sex, age_band, medical_worker)
);
CREATE INDEX dose_tally_prefecture_day_idx ON vrs.dose_tally_prefecture (vaccinated_on);

-- Municipalities whose tally was computed from their doses (rebuild_dose_tally); the runner
-- rebuilds the others once.
CREATE TABLE vrs.dose_tally_built (
    municipality_code char(6) PRIMARY KEY REFERENCES vrs.municipality (code),
    built_at          timestamptz NOT NULL DEFAULT now()
);
-- Provisioning a municipality (no doses yet) marks its tally built.
CREATE FUNCTION vrs.dose_tally_mark_built() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    INSERT INTO vrs.dose_tally_built (municipality_code) VALUES (NEW.code) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vrs.dose_tally_mark_built() FROM PUBLIC;
CREATE TRIGGER municipality_tally_built AFTER INSERT ON vrs.municipality
    FOR EACH ROW EXECUTE FUNCTION vrs.dose_tally_mark_built();

DO $rls$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['statistics_age_band', 'statistics_setting', 'dose_tally', 'dose_tally_prefecture',
                             'dose_tally_built'] LOOP
        EXECUTE format('ALTER TABLE vrs.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE vrs.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('REVOKE ALL ON vrs.%I FROM PUBLIC', t);
        EXECUTE format('CREATE POLICY owner_all ON vrs.%I FOR ALL TO vrs_owner USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$rls$;

------------------------------------------------------------------------------------------------
-- Keeping the counts (owner only: EXECUTE to nobody).
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.age_band(p_birth date, p_on date) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    SELECT coalesce((SELECT b.label FROM vrs.statistics_age_band b
                      WHERE p_on >= p_birth
                        AND extract(year FROM age(p_on, p_birth)) BETWEEN coalesce(b.min_age, 0) AND coalesce(b.max_age, 32767)
                      ORDER BY b.position LIMIT 1),
                    'UNK')
$$;

CREATE FUNCTION vrs.tally_add(p_code char(6), p_on date, p_dose smallint, p_sex char(1), p_band text, p_delta int)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    -- Municipality first, then prefecture: one lock order for every writer.
    IF p_delta > 0 THEN
        INSERT INTO vrs.dose_tally AS t (municipality_code, prefecture, vaccinated_on, dose, sex, age_band, doses)
        VALUES (p_code, left(p_code, 2), p_on, p_dose, p_sex, p_band, p_delta)
        ON CONFLICT (municipality_code, vaccinated_on, dose, sex, age_band, medical_worker)
        DO UPDATE SET doses = t.doses + excluded.doses;
        INSERT INTO vrs.dose_tally_prefecture AS t (prefecture, vaccinated_on, dose, sex, age_band, doses)
        VALUES (left(p_code, 2), p_on, p_dose, p_sex, p_band, p_delta)
        ON CONFLICT (prefecture, vaccinated_on, dose, sex, age_band, medical_worker)
        DO UPDATE SET doses = t.doses + excluded.doses;
        RETURN;
    END IF;
    -- Taking away (the CHECK would refuse a negative row before ON CONFLICT looked for the cell).
    UPDATE vrs.dose_tally t SET doses = t.doses + p_delta
     WHERE t.municipality_code = p_code AND t.vaccinated_on = p_on AND t.dose = p_dose AND t.sex = p_sex
       AND t.age_band = p_band AND NOT t.medical_worker AND t.doses + p_delta >= 0;
    IF FOUND THEN
        UPDATE vrs.dose_tally_prefecture t SET doses = t.doses + p_delta
         WHERE t.prefecture = left(p_code, 2) AND t.vaccinated_on = p_on AND t.dose = p_dose AND t.sex = p_sex
           AND t.age_band = p_band AND NOT t.medical_worker AND t.doses + p_delta >= 0;
    ELSE
        -- Only a tally out of step with the doses (bands changed and not yet rebuilt) gets here: the
        -- correction itself must not fail for it.
        RAISE WARNING 'dose tally of % out of step; run vrs statistics rebuild --municipality %', p_code, p_code;
    END IF;
END
$$;

-- One dose of a person, counted (+1) or taken away (-1) under the person's current sex and age.
CREATE FUNCTION vrs.tally_dose(p_code char(6), p_person uuid, p_on date, p_dose smallint, p_delta int)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_bound text := nullif(pg_catalog.current_setting('vrs.municipality', true), '');
    v_sex   char(1);
    v_birth date;
BEGIN
    -- The owner reads a person of the bound municipality only (0009): bind the dose's own for the
    -- read (a hand-over writes into a municipality other than the caller's).
    IF v_bound IS DISTINCT FROM p_code::text THEN
        PERFORM pg_catalog.set_config('vrs.municipality', p_code, true);
    END IF;
    SELECT p.sex, p.birth_date INTO v_sex, v_birth
      FROM vrs.person p WHERE p.municipality_code = p_code AND p.person_id = p_person;
    IF v_bound IS DISTINCT FROM p_code::text THEN
        PERFORM pg_catalog.set_config('vrs.municipality', coalesce(v_bound, ''), true);
    END IF;
    PERFORM vrs.tally_add(p_code, p_on, p_dose, coalesce(v_sex, 'U'),
                          CASE WHEN v_birth IS NULL THEN 'UNK' ELSE vrs.age_band(v_birth, p_on) END, p_delta);
END
$$;

-- A changed dose (void, move, hand-over, amend, merge, a pending read linked): taken away where
-- it counted, added where it counts now. Row by row: corrections change one dose at a time.
CREATE FUNCTION vrs.tally_vaccination() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.state = 'recorded' AND OLD.person_id IS NOT NULL AND OLD.source <> 'transfer' THEN
        PERFORM vrs.tally_dose(OLD.municipality_code, OLD.person_id, OLD.vaccinated_on, OLD.dose, -1);
    END IF;
    IF NEW.state = 'recorded' AND NEW.person_id IS NOT NULL AND NEW.source <> 'transfer' THEN
        PERFORM vrs.tally_dose(NEW.municipality_code, NEW.person_id, NEW.vaccinated_on, NEW.dose, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION vrs.tally_person() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_bound text := nullif(pg_catalog.current_setting('vrs.municipality', true), '');
    v       record;
BEGIN
    IF v_bound IS DISTINCT FROM NEW.municipality_code::text THEN
        PERFORM pg_catalog.set_config('vrs.municipality', NEW.municipality_code, true);
    END IF;
    FOR v IN SELECT d.vaccinated_on, d.dose FROM vrs.vaccination d
              WHERE d.municipality_code = NEW.municipality_code AND d.person_id = NEW.person_id
                AND d.state = 'recorded' AND d.source <> 'transfer'
              ORDER BY d.vaccinated_on, d.dose
    LOOP
        PERFORM vrs.tally_add(NEW.municipality_code, v.vaccinated_on, v.dose, OLD.sex, vrs.age_band(OLD.birth_date, v.vaccinated_on), -1);
        PERFORM vrs.tally_add(NEW.municipality_code, v.vaccinated_on, v.dose, NEW.sex, vrs.age_band(NEW.birth_date, v.vaccinated_on), 1);
    END LOOP;
    IF v_bound IS DISTINCT FROM NEW.municipality_code::text THEN
        PERFORM pg_catalog.set_config('vrs.municipality', coalesce(v_bound, ''), true);
    END IF;
    RETURN NULL;
END
$$;

-- New doses are counted once a statement, from its transition table: a file of thousands of doses
-- adds to each cell once, where a row trigger would update the same few rows thousands of times in
-- one transaction (each update a new version the next must step over: measured 356 µs a dose for
-- 10,000 doses in one INSERT, against 42 µs this way and 19 µs with no counting at all).
CREATE FUNCTION vrs.tally_inserted_doses() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_bound text := nullif(pg_catalog.current_setting('vrs.municipality', true), '');
    v_code  char(6);
BEGIN
    -- One municipality at a time: the owner reads the persons of the bound one only, and each
    -- join prunes to that municipality's partition.
    FOR v_code IN SELECT DISTINCT n.municipality_code FROM new_doses n
                   WHERE n.state = 'recorded' AND n.person_id IS NOT NULL AND n.source <> 'transfer' ORDER BY 1 LOOP
        PERFORM pg_catalog.set_config('vrs.municipality', v_code, true);
        WITH cell AS (
            SELECT n.vaccinated_on, n.dose, p.sex, vrs.age_band(p.birth_date, n.vaccinated_on) AS age_band, count(*)::int AS doses
              FROM new_doses n
              JOIN vrs.person p ON p.municipality_code = v_code AND p.person_id = n.person_id
             WHERE n.municipality_code = v_code AND n.state = 'recorded' AND n.person_id IS NOT NULL AND n.source <> 'transfer'
             GROUP BY 1, 2, 3, 4),
        town AS (
            INSERT INTO vrs.dose_tally AS t (municipality_code, prefecture, vaccinated_on, dose, sex, age_band, doses)
            SELECT v_code, left(v_code, 2), c.vaccinated_on, c.dose, c.sex, c.age_band, c.doses FROM cell c
             ORDER BY c.vaccinated_on, c.dose, c.sex, c.age_band
            ON CONFLICT (municipality_code, vaccinated_on, dose, sex, age_band, medical_worker)
            DO UPDATE SET doses = t.doses + excluded.doses)
        INSERT INTO vrs.dose_tally_prefecture AS t (prefecture, vaccinated_on, dose, sex, age_band, doses)
        SELECT left(v_code, 2), c.vaccinated_on, c.dose, c.sex, c.age_band, c.doses FROM cell c
         ORDER BY c.vaccinated_on, c.dose, c.sex, c.age_band
        ON CONFLICT (prefecture, vaccinated_on, dose, sex, age_band, medical_worker)
        DO UPDATE SET doses = t.doses + excluded.doses;
    END LOOP;
    PERFORM pg_catalog.set_config('vrs.municipality', coalesce(v_bound, ''), true);
    RETURN NULL;
END
$$;

-- Pending tablet reads (no person) and transfer copies are left out by the function.
CREATE TRIGGER vaccination_tally AFTER INSERT ON vrs.vaccination REFERENCING NEW TABLE AS new_doses
    FOR EACH STATEMENT EXECUTE FUNCTION vrs.tally_inserted_doses();
CREATE TRIGGER vaccination_tally_change AFTER UPDATE OF state, person_id, vaccinated_on, dose ON vrs.vaccination
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.person_id IS DISTINCT FROM NEW.person_id
                       OR OLD.vaccinated_on IS DISTINCT FROM NEW.vaccinated_on OR OLD.dose IS DISTINCT FROM NEW.dose)
    EXECUTE FUNCTION vrs.tally_vaccination();
CREATE TRIGGER person_tally AFTER UPDATE OF sex, birth_date ON vrs.person
    FOR EACH ROW WHEN (OLD.sex IS DISTINCT FROM NEW.sex OR OLD.birth_date IS DISTINCT FROM NEW.birth_date)
    EXECUTE FUNCTION vrs.tally_person();

-- Recomputes one municipality's tally from its doses; returns the doses counted. The partitions'
-- SHARE locks keep writers out meanwhile, so no dose is counted twice or missed.
CREATE FUNCTION vrs.rebuild_dose_tally(p_code char(6)) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_bound text := nullif(pg_catalog.current_setting('vrs.municipality', true), '');
    v_doses bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM vrs.municipality m WHERE m.code = p_code) THEN
        RAISE EXCEPTION 'municipality % is not provisioned', p_code USING ERRCODE = 'VRS01';
    END IF;
    EXECUTE format('LOCK TABLE vrs.%I, vrs.%I IN SHARE MODE', 'person_p' || p_code, 'vaccination_p' || p_code);
    PERFORM pg_catalog.set_config('vrs.municipality', p_code, true);
    UPDATE vrs.dose_tally_prefecture p SET doses = p.doses - t.doses
      FROM vrs.dose_tally t
     WHERE t.municipality_code = p_code AND p.prefecture = t.prefecture AND p.vaccinated_on = t.vaccinated_on
       AND p.dose = t.dose AND p.sex = t.sex AND p.age_band = t.age_band AND p.medical_worker = t.medical_worker;
    DELETE FROM vrs.dose_tally t WHERE t.municipality_code = p_code;
    INSERT INTO vrs.dose_tally (municipality_code, prefecture, vaccinated_on, dose, sex, age_band, doses)
    SELECT p_code, left(p_code, 2), d.vaccinated_on, d.dose, p.sex, vrs.age_band(p.birth_date, d.vaccinated_on), count(*)
      FROM vrs.vaccination d
      JOIN vrs.person p ON p.municipality_code = d.municipality_code AND p.person_id = d.person_id
     WHERE d.municipality_code = p_code AND d.state = 'recorded' AND d.source <> 'transfer'
     GROUP BY 3, 4, 5, 6;
    INSERT INTO vrs.dose_tally_prefecture AS p (prefecture, vaccinated_on, dose, sex, age_band, medical_worker, doses)
    SELECT t.prefecture, t.vaccinated_on, t.dose, t.sex, t.age_band, t.medical_worker, t.doses
      FROM vrs.dose_tally t WHERE t.municipality_code = p_code
    ON CONFLICT (prefecture, vaccinated_on, dose, sex, age_band, medical_worker)
    DO UPDATE SET doses = p.doses + excluded.doses;
    SELECT coalesce(sum(t.doses), 0) INTO v_doses FROM vrs.dose_tally t WHERE t.municipality_code = p_code;
    INSERT INTO vrs.dose_tally_built (municipality_code) VALUES (p_code)
    ON CONFLICT (municipality_code) DO UPDATE SET built_at = now();
    PERFORM pg_catalog.set_config('vrs.municipality', coalesce(v_bound, ''), true);
    RETURN v_doses;
END
$$;

-- New bands (labels like '-64', '65-', '12-64'; in order, not overlapping). The tallies must be
-- rebuilt afterwards, one municipality per transaction (the CLI does).
CREATE FUNCTION vrs.set_statistics_age_bands(p_labels text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_label text;
    v_min   int;
    v_max   int;
    v_last  int := -1;
    v_pos   int := 0;
BEGIN
    IF p_labels IS NULL OR cardinality(p_labels) = 0 THEN
        RAISE EXCEPTION 'at least one age band is needed' USING ERRCODE = 'VRS72';
    END IF;
    DELETE FROM vrs.statistics_age_band;
    FOREACH v_label IN ARRAY p_labels LOOP
        IF v_label IS NULL OR v_label !~ '^[0-9]{0,3}-[0-9]{0,3}$' OR v_label = '-' OR upper(v_label) = 'UNK' THEN
            RAISE EXCEPTION 'age band "%" is not of the form 12-64, -64 or 65-', coalesce(v_label, 'NULL') USING ERRCODE = 'VRS72';
        END IF;
        v_min := nullif(split_part(v_label, '-', 1), '')::int;
        v_max := nullif(split_part(v_label, '-', 2), '')::int;
        IF coalesce(v_min, 0) <= v_last OR (v_max IS NOT NULL AND v_max < coalesce(v_min, 0)) OR v_last = 32767 THEN
            RAISE EXCEPTION 'age band "%" overlaps the one before it or is out of order', v_label USING ERRCODE = 'VRS72';
        END IF;
        v_pos := v_pos + 1;
        INSERT INTO vrs.statistics_age_band (label, min_age, max_age, position) VALUES (v_label, v_min, v_max, v_pos);
        v_last := coalesce(v_max, 32767);
    END LOOP;
END
$$;

------------------------------------------------------------------------------------------------
-- Doors.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.create_viewer(p_token_hash bytea, p_user_id text, p_display_name text, p_prefecture char(2),
                                  p_password_hash text, p_request_id text, p_client_address text)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_operator text := vrs.operator_of(p_token_hash);
BEGIN
    IF p_prefecture IS NOT NULL AND NOT EXISTS (SELECT 1 FROM vrs.municipality_directory d
                                                 WHERE d.code LIKE p_prefecture || '%' AND d.kind = 'prefecture') THEN
        RAISE EXCEPTION 'no prefecture %', p_prefecture USING ERRCODE = 'VRS71';
    END IF;
    INSERT INTO vrs.account (user_id, role, municipality_code, prefecture_code, display_name, password_hash, must_change_password)
    VALUES (p_user_id, 'viewer', NULL, p_prefecture, p_display_name, p_password_hash, true);
    PERFORM vrs.append_audit_event_in('000000', v_operator, 'operator', 'viewer.create', 'user', p_user_id, 'success',
                                      p_request_id, p_client_address,
                                      jsonb_build_object('scope', coalesce(p_prefecture::text, 'nation')));
END
$$;

-- The scope behind a live session: kind 'nation', 'prefecture' or 'municipality'.
CREATE FUNCTION vrs.statistics_scope(p_token_hash bytea)
    RETURNS TABLE (kind text, prefecture char(2), municipality_code char(6), user_id text, role text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    r record;
BEGIN
    SELECT s.user_id, s.role, s.municipality_code, a.prefecture_code INTO r
      FROM vrs.session s JOIN vrs.account a ON a.user_id = s.user_id
     WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
       AND NOT a.locked AND NOT a.must_change_password;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no live session for this token' USING ERRCODE = 'VRS22';
    END IF;
    IF r.role IN ('admin', 'staff') THEN
        -- The second lock: a municipal session reads only the municipality its transaction is bound to.
        IF r.municipality_code IS DISTINCT FROM vrs.current_municipality() THEN
            RAISE EXCEPTION 'the session is not of the bound municipality' USING ERRCODE = 'VRS70';
        END IF;
        RETURN QUERY SELECT 'municipality'::text, left(r.municipality_code, 2)::char(2), r.municipality_code::char(6),
                            r.user_id::text, r.role::text;
    ELSIF r.role = 'viewer' AND r.prefecture_code IS NOT NULL THEN
        RETURN QUERY SELECT 'prefecture'::text, r.prefecture_code::char(2), NULL::char(6), r.user_id::text, r.role::text;
    ELSE
        RETURN QUERY SELECT 'nation'::text, NULL::char(2), NULL::char(6), r.user_id::text, r.role::text;
    END IF;
END
$$;

-- The caller behind a question, its question checked against its scope: the prefecture the answer
-- is bounded by (the viewer's own, a municipality's, or the one an operator asked for). Owner only.
CREATE FUNCTION vrs.statistics_caller(p_token_hash bytea, p_by text, p_prefecture char(2))
    RETURNS TABLE (kind text, prefecture char(2), municipality_code char(6), user_id text, role text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_scope record;
BEGIN
    SELECT * INTO v_scope FROM vrs.statistics_scope(p_token_hash);
    IF v_scope.kind <> 'nation' AND p_prefecture IS NOT NULL AND p_prefecture IS DISTINCT FROM v_scope.prefecture THEN
        RAISE EXCEPTION 'prefecture % is outside the caller''s scope', p_prefecture USING ERRCODE = 'VRS70';
    END IF;
    IF v_scope.kind = 'municipality' AND p_by IS DISTINCT FROM 'municipality' THEN
        RAISE EXCEPTION 'a municipality sees its own counts only (by municipality)' USING ERRCODE = 'VRS70';
    END IF;
    IF p_by IS NULL OR p_by NOT IN ('prefecture', 'municipality') THEN
        RAISE EXCEPTION 'by must be prefecture or municipality' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY SELECT v_scope.kind, coalesce(v_scope.prefecture, p_prefecture)::char(2), v_scope.municipality_code,
                        v_scope.user_id, v_scope.role;
END
$$;

-- Who asked what, recorded before the answer's first byte (as the ledger export is): an answer
-- the client breaks off was still an access. Aggregates only, but worth knowing: the caller's
-- own chain (the municipality's, or the central one for operators and viewers), under the
-- session's user.
CREATE FUNCTION vrs.record_statistics_read(p_token_hash bytea, p_by text, p_prefecture char(2), p_from date, p_to date,
                                           p_request_id text, p_client_address text)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_caller record;
BEGIN
    SELECT * INTO v_caller FROM vrs.statistics_caller(p_token_hash, p_by, p_prefecture);
    PERFORM vrs.append_audit_event_in(coalesce(v_caller.municipality_code, '000000'), v_caller.user_id, v_caller.role,
                                      'statistics.read', 'statistics',
                                      coalesce(v_caller.municipality_code::text, v_caller.prefecture::text, 'nation'),
                                      'success', p_request_id, p_client_address,
                                      jsonb_build_object('by', p_by, 'from', coalesce(p_from::text, ''), 'to', coalesce(p_to::text, '')));
END
$$;

CREATE FUNCTION vrs.vaccination_statistics(p_token_hash bytea, p_by text, p_prefecture char(2), p_from date, p_to date)
    RETURNS TABLE (vaccinated_on date, prefecture char(2), municipality_code char(6), sex char(1), age_band text,
                   medical_worker boolean, dose smallint, doses int)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_scope  record;
    v_pref   char(2);
    v_from   date := coalesce(p_from, '-infinity'::date);
    v_to     date := coalesce(p_to, 'infinity'::date);
    v_min    int := (SELECT s.min_cell FROM vrs.statistics_setting s);
BEGIN
    SELECT * INTO v_scope FROM vrs.statistics_caller(p_token_hash, p_by, p_prefecture);
    v_pref := v_scope.prefecture;
    IF p_by = 'prefecture' THEN
        RETURN QUERY
        SELECT t.vaccinated_on, t.prefecture, NULL::char(6), t.sex, t.age_band, t.medical_worker, t.dose, t.doses
          FROM vrs.dose_tally_prefecture t
          LEFT JOIN vrs.statistics_age_band b ON b.label = t.age_band
         WHERE (v_pref IS NULL OR t.prefecture = v_pref) AND t.vaccinated_on BETWEEN v_from AND v_to AND t.doses > 0
         ORDER BY t.vaccinated_on, t.prefecture, t.sex, coalesce(b.position, 32767), t.age_band, t.medical_worker, t.dose;
    ELSIF p_by = 'municipality' THEN
        RETURN QUERY
        WITH cell AS (
            SELECT t.*, t.doses < v_min AS small, coalesce(b.position, 32767) AS band_order
              FROM vrs.dose_tally t
              LEFT JOIN vrs.statistics_age_band b ON b.label = t.age_band
             WHERE (v_scope.municipality_code IS NULL OR t.municipality_code = v_scope.municipality_code)
               AND (v_pref IS NULL OR t.prefecture = v_pref)
               AND t.vaccinated_on BETWEEN v_from AND v_to AND t.doses > 0),
        ranked AS (
            SELECT c.*,
                   count(*) FILTER (WHERE c.small) OVER g AS smalls,
                   count(*) OVER g AS cells,
                   row_number() OVER (PARTITION BY c.prefecture, c.vaccinated_on, c.dose, c.sex, c.age_band,
                                                   c.medical_worker, c.small
                                      ORDER BY c.doses, c.municipality_code) AS nth
              FROM cell c
            WINDOW g AS (PARTITION BY c.prefecture, c.vaccinated_on, c.dose, c.sex, c.age_band, c.medical_worker))
        SELECT r.vaccinated_on, r.prefecture, r.municipality_code, r.sex, r.age_band, r.medical_worker, r.dose,
               CASE WHEN r.small OR (r.smalls = 1 AND r.cells > 1 AND r.nth = 1) THEN NULL ELSE r.doses END
          FROM ranked r
         ORDER BY r.vaccinated_on, r.municipality_code, r.sex, r.band_order, r.age_band, r.medical_worker, r.dose;
    END IF;
END
$$;

-- The band labels in order (for answers and charts that list every band).
CREATE FUNCTION vrs.statistics_age_bands() RETURNS SETOF text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    SELECT b.label FROM vrs.statistics_age_band b ORDER BY b.position
$$;

DO $grants$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['vrs.age_band(date, date)', 'vrs.tally_add(char, date, smallint, char, text, int)',
                             'vrs.tally_dose(char, uuid, date, smallint, int)', 'vrs.tally_vaccination()',
                             'vrs.tally_person()', 'vrs.tally_inserted_doses()', 'vrs.rebuild_dose_tally(char)', 'vrs.set_statistics_age_bands(text[])',
                             'vrs.create_viewer(bytea, text, text, char, text, text, text)',
                             'vrs.statistics_scope(bytea)', 'vrs.vaccination_statistics(bytea, text, char, date, date)',
                             'vrs.statistics_caller(bytea, text, char)',
                             'vrs.record_statistics_read(bytea, text, char, date, date, text, text)',
                             'vrs.statistics_age_bands()'] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$grants$;
GRANT EXECUTE ON FUNCTION vrs.create_viewer(bytea, text, text, char, text, text, text) TO vrs_operator;
GRANT EXECUTE ON FUNCTION vrs.vaccination_statistics(bytea, text, char, date, date) TO vrs_operator, vrs_viewer, vrs_municipal;
GRANT EXECUTE ON FUNCTION vrs.record_statistics_read(bytea, text, char, date, date, text, text) TO vrs_operator, vrs_viewer, vrs_municipal;
GRANT EXECUTE ON FUNCTION vrs.statistics_scope(bytea) TO vrs_operator, vrs_viewer, vrs_municipal;
GRANT EXECUTE ON FUNCTION vrs.statistics_age_bands() TO vrs_operator, vrs_viewer, vrs_municipal;

-- An operator locks and unlocks viewers as it does municipal user IDs (incident response); a
-- viewer has no municipality, so the action goes into the central chain only.
CREATE OR REPLACE FUNCTION vrs.operator_set_locked(p_token_hash bytea, p_user_id text, p_locked boolean,
                                                   p_request_id text, p_client_address text)
    RETURNS char(6)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_operator     text := vrs.operator_of(p_token_hash);
    v_municipality char(6);
    v_role         text;
    v_action       text := CASE WHEN p_locked THEN 'user.lock' ELSE 'user.unlock' END;
BEGIN
    -- A lock ends the account's sessions (trigger account_ends_sessions) and keeps its admin out
    -- until an operator lifts it.
    UPDATE vrs.account a SET locked = p_locked, locked_by_operator = p_locked, failed_attempts = 0, locked_until = NULL,
                             updated_at = now()
     WHERE a.user_id = p_user_id AND a.role <> 'operator'
    RETURNING a.municipality_code, a.role INTO v_municipality, v_role;
    IF v_role IS NULL THEN
        RAISE EXCEPTION 'no municipal account or viewer %', p_user_id USING ERRCODE = 'VRS25';
    END IF;
    IF v_role = 'viewer' THEN
        PERFORM vrs.append_audit_event_in('000000', v_operator, 'operator', v_action, 'user', p_user_id, 'success',
                                          p_request_id, p_client_address, '{}'::jsonb);
    ELSE
        PERFORM vrs.audit_operator_action(v_municipality, v_operator, v_action, 'user', p_user_id, p_request_id,
                                          p_client_address, '{}'::jsonb);
    END IF;
    RETURN v_municipality;
END
$$;
