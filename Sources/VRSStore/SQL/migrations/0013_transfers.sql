-- 0013 transfers: a municipality asks another for the vaccination records of a person who moved
-- in (転入者の接種記録照会), singly or by batch, through one narrow, recorded door.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
-- Needs vrs.append_audit_event_in (0005), the owner policies of 0009 and 0012, vrs_worker (bootstrap).
--
--   * vrs.inquiry_purpose: the legal bases an inquiry may name (reference data, read by staff);
--     vrs.inquiry_allowance: which purpose may be asked by whom of whom (NULL = any municipality).
--     The seed allows the default purpose between all municipalities. Only the host edits them.
--   * vrs.inquire_transfer: the door (SECURITY DEFINER, EXECUTE to vrs_municipal). The server
--     sends the blind indexes of the number under the PREVIOUS municipality's index keys (every
--     version in use; vrs.inquiry_index_keys hands out those wrapped keys), never the number. The
--     door binds the provider for the lookup (one partition planned), takes the recorded doses
--     (voided and handed-over ones are not provided; copies it received from an earlier
--     municipality are, under their origin), binds the caller back, and in the same transaction:
--       - writes the provision record (情報提供等記録) twice, one row in each side's partition
--         (asking and providing municipality, time, asking user, purpose, found or not, count);
--         never the number or its blind index;
--       - on found with a person, copies the doses into the caller's ledger: source 'transfer',
--         origin municipality, origin dose id and coupon number, the inquiry id; coupon_number stays
--         NULL so a copy never meets the caller's own coupons (tablet door, duplicates, pending
--         list). One copy per origin dose and municipality: asking twice copies nothing new;
--       - audits in both chains ('transfer.inquiry' / 'transfer.provision'): counts, never the number;
--       - applies the abuse guard: a per-user rate on single inquiries (vrs.inquiry_guard), and the
--         not-found ratio over a window on every answer (single and batch), which past its
--         threshold locks the user's inquiries (vrs.inquiry_lock, audited
--         'transfer.inquiry_locked') until an admin clears it; a locked user's batches wait.
--     On not_found nothing about the number is kept: the provision rows say only "not found".
--   * vrs.provision_record (0001) gains provider_code, account_id, purpose_code, kind and
--     copied_count; rows are written by the door only (INSERT revoked from vrs_municipal) and are
--     append-only for everyone. vrs.provision_daily counts inquiries per day and pair of
--     municipalities: what operators see (no personal data, no user).
--   * Batches: vrs.transfer_batch (unpartitioned, no personal data: who, when, counts, lease) and
--     vrs.transfer_batch_line (partitioned by the asking municipality, RLS forced): each line's
--     number encrypted under the asking municipality's data key until it is answered, then
--     cleared; the answer (found / not found, the records) until the batch expires. A worker
--     (role vrs_worker, which may run only claim, release and purge) leases a batch; the lines are
--     answered by vrs.inquire_transfer in the asking municipality's scope, one chunk per
--     transaction, provider by provider; a line already answered is refused (VRS57), so no line is
--     answered twice, whichever services run. vrs.purge_transfer_batches deletes the lines of
--     expired batches, one partition at a time.
--   * vrs.clear_inquiry_lock (vrs_municipal_admin): an admin lets a locked user ask again.
--
-- SQLSTATEs (MESSAGE safe to show; never a number):
--   VRS50 previous municipality malformed, the caller's own, not provisioned or suspended (422; HINT field)
--   VRS51 rate limit: too many single inquiries in the last minute (429; DETAIL: seconds to wait)
--   VRS52 the user's inquiries are locked by the not-found guard (423)
--   VRS53 purpose unknown or not allowed between these municipalities (422)
--   VRS54 the person is not a current registration of the caller's municipality (422)
--   VRS55 a batch is empty, too large or its arrays disagree (422; DETAIL: the line)
--   VRS56 the batch is not leased by this worker any more (the worker stops)
--   VRS57 the batch line is answered already or does not exist (the worker skips it)
--
-- Locks: ADD COLUMN (constant defaults, no rewrite) and CREATE INDEX recurse to every partition of
-- provision_record and vaccination; partitions of transfer_batch_line for municipalities
-- provisioned earlier are created by the runner, one municipality per transaction.

------------------------------------------------------------------------------------------------
-- Legal bases and the allow-list.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.inquiry_purpose (
    code       text PRIMARY KEY CONSTRAINT inquiry_purpose_code_check CHECK (code ~ '^[a-z0-9_]{1,40}$'),
    name       text NOT NULL,
    basis      text NOT NULL,
    is_default boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX inquiry_purpose_one_default ON vrs.inquiry_purpose (is_default) WHERE is_default;
COMMENT ON TABLE vrs.inquiry_purpose IS
    'Legal bases an inquiry may name. Edited by the host (vrs_owner) only, as the law changes.';
REVOKE ALL ON vrs.inquiry_purpose FROM PUBLIC;
GRANT SELECT ON vrs.inquiry_purpose TO vrs_municipal;
INSERT INTO vrs.inquiry_purpose (code, name, basis, is_default) VALUES
    ('transfer_record', '転入者の接種記録照会',
     '行政手続における特定の個人を識別するための番号の利用等に関する法律 第19条（特定個人情報の提供の制限）に定める提供（予防接種法に基づく接種記録の確認）', true),
    ('health_crisis', '生命・身体の保護のための照会',
     '行政手続における特定の個人を識別するための番号の利用等に関する法律 第19条第16号（人の生命、身体又は財産の保護のために必要がある場合）', false);

CREATE TABLE vrs.inquiry_allowance (
    purpose_code   text NOT NULL REFERENCES vrs.inquiry_purpose (code),
    requester_code char(6) CONSTRAINT inquiry_allowance_requester_check CHECK (requester_code ~ '^[0-9]{6}$'),
    provider_code  char(6) CONSTRAINT inquiry_allowance_provider_check CHECK (provider_code ~ '^[0-9]{6}$')
);
CREATE UNIQUE INDEX inquiry_allowance_unique
    ON vrs.inquiry_allowance (purpose_code, coalesce(requester_code, '*'), coalesce(provider_code, '*'));
COMMENT ON TABLE vrs.inquiry_allowance IS
    'Who may ask whom for what: a NULL code means any municipality. No row, no inquiry.';
REVOKE ALL ON vrs.inquiry_allowance FROM PUBLIC;
INSERT INTO vrs.inquiry_allowance (purpose_code, requester_code, provider_code) VALUES ('transfer_record', NULL, NULL);

------------------------------------------------------------------------------------------------
-- The abuse guard's settings (one row, host-edited) and its locks.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.inquiry_guard (
    singleton           boolean PRIMARY KEY DEFAULT true CONSTRAINT inquiry_guard_singleton CHECK (singleton),
    per_minute          int NOT NULL DEFAULT 30 CONSTRAINT inquiry_guard_rate_check CHECK (per_minute BETWEEN 1 AND 10000),
    window_length       interval NOT NULL DEFAULT '1 hour' CONSTRAINT inquiry_guard_window_check
                            CHECK (window_length BETWEEN interval '1 minute' AND interval '30 days'),
    min_inquiries       int NOT NULL DEFAULT 20 CONSTRAINT inquiry_guard_min_check CHECK (min_inquiries BETWEEN 1 AND 100000),
    max_not_found_ratio numeric NOT NULL DEFAULT 0.5 CONSTRAINT inquiry_guard_ratio_check
                            CHECK (max_not_found_ratio > 0 AND max_not_found_ratio <= 1)
);
COMMENT ON TABLE vrs.inquiry_guard IS
    'Single inquiries per user and minute; a user whose not-found share over window_length (with at least min_inquiries) passes max_not_found_ratio is locked.';
REVOKE ALL ON vrs.inquiry_guard FROM PUBLIC;
INSERT INTO vrs.inquiry_guard DEFAULT VALUES;

CREATE TABLE vrs.inquiry_lock (
    municipality_code char(6) NOT NULL REFERENCES vrs.municipality (code),
    lock_id           uuid NOT NULL DEFAULT gen_random_uuid(),
    account_id        text NOT NULL,
    locked_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    inquiries         int NOT NULL,
    not_found         int NOT NULL,
    cleared_at        timestamptz,
    cleared_by        text,
    PRIMARY KEY (municipality_code, lock_id)
);
CREATE UNIQUE INDEX inquiry_lock_open ON vrs.inquiry_lock (municipality_code, account_id) WHERE cleared_at IS NULL;
ALTER TABLE vrs.inquiry_lock ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.inquiry_lock FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.inquiry_lock FROM PUBLIC;
GRANT SELECT ON vrs.inquiry_lock TO vrs_municipal_admin;
CREATE POLICY admin_read ON vrs.inquiry_lock FOR SELECT TO vrs_municipal_admin
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound ON vrs.inquiry_lock FOR ALL TO vrs_owner
    USING (municipality_code = vrs.current_municipality()) WITH CHECK (municipality_code = vrs.current_municipality());
-- The worker's claim skips the batches of locked users, whichever municipality (no personal data).
CREATE POLICY owner_read_all ON vrs.inquiry_lock FOR SELECT TO vrs_owner USING (true);

------------------------------------------------------------------------------------------------
-- Provision records: one row on each side, written by the door alone, kept for good.
------------------------------------------------------------------------------------------------
ALTER TABLE vrs.provision_record
    ADD COLUMN provider_code char(6),
    ADD COLUMN account_id    text,
    ADD COLUMN purpose_code  text,
    ADD COLUMN kind          text NOT NULL DEFAULT 'single' CONSTRAINT provision_record_kind_check CHECK (kind IN ('single', 'batch')),
    ADD COLUMN copied_count  int NOT NULL DEFAULT 0;
UPDATE vrs.provision_record SET provider_code = municipality_code WHERE provider_code IS NULL;
ALTER TABLE vrs.provision_record
    ALTER COLUMN provider_code SET NOT NULL,
    ALTER COLUMN requested_at SET DEFAULT clock_timestamp(),
    ADD CONSTRAINT provision_record_side_check CHECK (municipality_code IN (requester_code, provider_code)),
    ADD CONSTRAINT provision_record_pair_check CHECK (requester_code <> provider_code);
COMMENT ON COLUMN vrs.provision_record.municipality_code IS
    'Whose copy: the asking municipality (outbound) or the providing one (inbound). provision_id is shared by the two.';
CREATE INDEX provision_record_time_idx ON vrs.provision_record (municipality_code, requested_at);
CREATE INDEX provision_record_account_idx ON vrs.provision_record (municipality_code, account_id, requested_at);
REVOKE INSERT ON vrs.provision_record FROM vrs_municipal;
DROP POLICY municipal_own ON vrs.provision_record;
CREATE POLICY municipal_read ON vrs.provision_record FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound_insert ON vrs.provision_record FOR INSERT TO vrs_owner
    WITH CHECK (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound_read ON vrs.provision_record FOR SELECT TO vrs_owner
    USING (municipality_code = vrs.current_municipality());

CREATE FUNCTION vrs.provision_record_refuse() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'vrs.provision_record is append-only: % refused', TG_OP USING ERRCODE = 'VRS03';
END
$$;
REVOKE ALL ON FUNCTION vrs.provision_record_refuse() FROM PUBLIC;
CREATE TRIGGER provision_record_append_only BEFORE UPDATE OR DELETE ON vrs.provision_record
    FOR EACH ROW EXECUTE FUNCTION vrs.provision_record_refuse();
CREATE TRIGGER provision_record_no_truncate BEFORE TRUNCATE ON vrs.provision_record
    FOR EACH STATEMENT EXECUTE FUNCTION vrs.provision_record_refuse();
-- create_municipality_partitions copies the TRUNCATE trigger onto future partitions; existing ones here.
DO $trg$
DECLARE
    v_part regclass;
BEGIN
    FOR v_part IN SELECT i.inhrelid::regclass FROM pg_inherits i WHERE i.inhparent = 'vrs.provision_record'::regclass LOOP
        EXECUTE format('CREATE TRIGGER provision_record_no_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                       'EXECUTE FUNCTION vrs.provision_record_refuse()', v_part);
    END LOOP;
END
$trg$;

CREATE TABLE vrs.provision_daily (
    day            date NOT NULL,
    requester_code char(6) NOT NULL,
    provider_code  char(6) NOT NULL,
    inquiries      int NOT NULL DEFAULT 0,
    found          int NOT NULL DEFAULT 0,
    records        int NOT NULL DEFAULT 0,
    PRIMARY KEY (day, requester_code, provider_code)
);
COMMENT ON TABLE vrs.provision_daily IS
    'Inquiries per Japan day and pair of municipalities: what operators see of the provisions. No person, no user.';
ALTER TABLE vrs.provision_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.provision_daily FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.provision_daily FROM PUBLIC;
GRANT SELECT ON vrs.provision_daily TO vrs_operator;
CREATE POLICY operator_read ON vrs.provision_daily FOR SELECT TO vrs_operator USING (true);
CREATE POLICY owner_all ON vrs.provision_daily FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

------------------------------------------------------------------------------------------------
-- Copies of another municipality's doses in the caller's ledger.
------------------------------------------------------------------------------------------------
ALTER TABLE vrs.vaccination
    ADD COLUMN origin_vaccination_id uuid,
    ADD COLUMN origin_coupon_number  char(10),
    ADD COLUMN inquiry_id            uuid,
    ADD CONSTRAINT vaccination_transfer_check CHECK (
        (source = 'transfer') = (origin_vaccination_id IS NOT NULL)
        AND (source <> 'transfer' OR (coupon_number IS NULL AND origin_municipality_code IS NOT NULL
                                      AND person_id IS NOT NULL AND inquiry_id IS NOT NULL)));
COMMENT ON COLUMN vrs.vaccination.origin_vaccination_id IS
    'On a copy brought by a transfer inquiry: the dose it copies, in origin_municipality_code (the first one, through a chain of moves).';
-- A voided copy (put on the wrong person) does not stop the dose from being copied onto the right one.
CREATE UNIQUE INDEX vaccination_origin_unique ON vrs.vaccination (municipality_code, origin_municipality_code, origin_vaccination_id)
    WHERE origin_vaccination_id IS NOT NULL AND state = 'recorded';

------------------------------------------------------------------------------------------------
-- Batches.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.transfer_batch (
    batch_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    municipality_code char(6) NOT NULL REFERENCES vrs.municipality (code),
    account_id        text NOT NULL,
    purpose_code      text NOT NULL REFERENCES vrs.inquiry_purpose (code),
    request_id        text,
    line_count        int NOT NULL CONSTRAINT transfer_batch_lines_check CHECK (line_count > 0),
    answered_count    int NOT NULL DEFAULT 0,
    found_count       int NOT NULL DEFAULT 0,
    status            text NOT NULL DEFAULT 'pending'
                          CONSTRAINT transfer_batch_status_check CHECK (status IN ('pending', 'running', 'done', 'expired')),
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at       timestamptz,
    expires_at        timestamptz NOT NULL,
    lease_owner       text,
    lease_until       timestamptz
);
CREATE INDEX transfer_batch_open_idx ON vrs.transfer_batch (created_at) WHERE status IN ('pending', 'running');
CREATE INDEX transfer_batch_expiry_idx ON vrs.transfer_batch (expires_at) WHERE status <> 'expired';
CREATE INDEX transfer_batch_municipality_idx ON vrs.transfer_batch (municipality_code, created_at);
ALTER TABLE vrs.transfer_batch ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.transfer_batch FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.transfer_batch FROM PUBLIC;
GRANT SELECT ON vrs.transfer_batch TO vrs_municipal;
CREATE POLICY municipal_read ON vrs.transfer_batch FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
-- The worker's claim and purge see every batch (scheduling data only); the chunk doors the bound one.
CREATE POLICY owner_all ON vrs.transfer_batch FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

CREATE TABLE vrs.transfer_batch_line (
    municipality_code        char(6) NOT NULL,
    batch_id                 uuid NOT NULL,
    line_number              int NOT NULL CONSTRAINT transfer_batch_line_number_check CHECK (line_number > 0),
    provider_code            char(6) NOT NULL,
    person_id                uuid,
    individual_number_cipher bytea,
    key_version              int,
    outcome                  text CONSTRAINT transfer_batch_line_outcome_check CHECK (outcome IN ('found', 'not_found')),
    inquiry_id               uuid,
    records                  jsonb,
    copied_count             int,
    answered_at              timestamptz,
    PRIMARY KEY (municipality_code, batch_id, line_number),
    CONSTRAINT transfer_batch_line_state_check CHECK (
        (answered_at IS NULL) = (outcome IS NULL)
        AND (answered_at IS NULL) = (individual_number_cipher IS NOT NULL))
) PARTITION BY LIST (municipality_code);
COMMENT ON COLUMN vrs.transfer_batch_line.individual_number_cipher IS
    'The uploaded number under the asking municipality''s data key, until the line is answered (then NULL).';
CREATE INDEX transfer_batch_line_open_idx ON vrs.transfer_batch_line (municipality_code, batch_id, provider_code, line_number)
    WHERE answered_at IS NULL;
ALTER TABLE vrs.transfer_batch_line ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.transfer_batch_line FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.transfer_batch_line FROM PUBLIC;
GRANT SELECT ON vrs.transfer_batch_line TO vrs_municipal;
CREATE POLICY municipal_read ON vrs.transfer_batch_line FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY owner_bound ON vrs.transfer_batch_line FOR ALL TO vrs_owner
    USING (municipality_code = vrs.current_municipality()) WITH CHECK (municipality_code = vrs.current_municipality());

------------------------------------------------------------------------------------------------
-- Where an inquiry may go: the provider provisioned and active, not the caller, the purpose
-- allowed between the two. Returns the purpose code used. Owner only (EXECUTE to nobody).
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.check_inquiry_route(p_provider char(6), p_purpose text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_me      char(6) := vrs.current_municipality();
    v_purpose text := p_purpose;
BEGIN
    IF v_me IS NULL THEN
        RAISE EXCEPTION 'no municipality is bound' USING ERRCODE = '42501';
    END IF;
    IF p_provider IS NULL OR p_provider !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'name the previous municipality by its six-digit code' USING ERRCODE = 'VRS50',
            HINT = 'previousMunicipalityCode';
    END IF;
    IF p_provider = v_me THEN
        RAISE EXCEPTION 'municipality % is your own: look the person up in your ledger instead', p_provider
            USING ERRCODE = 'VRS50', HINT = 'previousMunicipalityCode';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM vrs.municipality m WHERE m.code = p_provider AND m.status = 'active') THEN
        RAISE EXCEPTION 'municipality % does not keep its records here (not provisioned, or suspended)', p_provider
            USING ERRCODE = 'VRS50', HINT = 'previousMunicipalityCode';
    END IF;
    IF v_purpose IS NULL OR v_purpose = '' THEN
        SELECT p.code INTO v_purpose FROM vrs.inquiry_purpose p WHERE p.is_default;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM vrs.inquiry_purpose p WHERE p.code = v_purpose) THEN
        RAISE EXCEPTION 'unknown purpose %', coalesce(v_purpose, 'NULL') USING ERRCODE = 'VRS53', HINT = 'purpose';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM vrs.inquiry_allowance a
                    WHERE a.purpose_code = v_purpose
                      AND (a.requester_code IS NULL OR a.requester_code = v_me)
                      AND (a.provider_code IS NULL OR a.provider_code = p_provider)) THEN
        RAISE EXCEPTION 'the purpose % is not allowed from % to %', v_purpose, v_me, p_provider
            USING ERRCODE = 'VRS53', HINT = 'purpose';
    END IF;
    RETURN v_purpose;
END
$$;
REVOKE ALL ON FUNCTION vrs.check_inquiry_route(char, text) FROM PUBLIC;

-- An open inquiry lock of the user refuses any inquiry, single or batch.
CREATE FUNCTION vrs.check_inquiry_lock(p_actor_id text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM vrs.inquiry_lock l
                WHERE l.municipality_code = vrs.current_municipality() AND l.account_id = p_actor_id
                  AND l.cleared_at IS NULL) THEN
        RAISE EXCEPTION 'your inquiries are locked: too many numbers were not found; an admin of your municipality can clear the lock'
            USING ERRCODE = 'VRS52';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION vrs.check_inquiry_lock(text) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- The wrapped index keys of a provider (every version), so the server can compute the blind
-- index under them. Wrapped by the master key, which never enters the database; data keys are
-- never handed out. Staff only, for a route an inquiry may take.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.inquiry_index_keys(p_provider char(6), p_purpose text)
    RETURNS TABLE (version int, wrapped bytea)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
BEGIN
    PERFORM vrs.check_inquiry_route(p_provider, p_purpose);
    RETURN QUERY SELECT k.version, k.wrapped FROM vrs.municipality_key k
                  WHERE k.municipality_code = p_provider AND k.purpose = 'index' ORDER BY k.version DESC;
END
$$;
REVOKE ALL ON FUNCTION vrs.inquiry_index_keys(char, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.inquiry_index_keys(char, text) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- The guard's tally: inquiries and not-found answers per user and minute, so the rate and the
-- ratio over the window are sums over at most a window's minutes, not scans of the provision
-- records. Rows older than the window go with the periodic purge.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.inquiry_tally (
    municipality_code char(6) NOT NULL,
    account_id        text NOT NULL,
    minute            timestamptz NOT NULL,
    single_count      int NOT NULL DEFAULT 0,
    inquiries         int NOT NULL DEFAULT 0,
    not_found         int NOT NULL DEFAULT 0,
    PRIMARY KEY (municipality_code, account_id, minute)
);
ALTER TABLE vrs.inquiry_tally ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.inquiry_tally FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.inquiry_tally FROM PUBLIC;
CREATE POLICY owner_all ON vrs.inquiry_tally FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

-- A copy of another municipality's dose is that municipality's record: only a void (a copy put
-- on the wrong person) is a correction here; the rest is corrected at its origin.
CREATE OR REPLACE FUNCTION vrs.correction_dose(p_id uuid, p_version int) RETURNS vrs.vaccination
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
    IF v_row.source = 'transfer' AND pg_catalog.current_setting('vrs.change_action', true) <> 'vaccination.void' THEN
        RAISE EXCEPTION 'the dose is a copy of a record of municipality %: it is corrected there (here it can only be voided)',
            v_row.origin_municipality_code USING ERRCODE = 'VRS42';
    END IF;
    RETURN v_row;
END
$$;
REVOKE ALL ON FUNCTION vrs.correction_dose(uuid, int) FROM PUBLIC;

-- The registration a person id stands for now: itself, or the one a tombstone was merged into.
CREATE FUNCTION vrs.current_registration(p_code char(6), p_person uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_id   uuid := p_person;
    v_next uuid;
BEGIN
    FOR i IN 1..8 LOOP
        SELECT p.merged_into INTO v_next FROM vrs.person p WHERE p.municipality_code = p_code AND p.person_id = v_id;
        IF NOT FOUND THEN RETURN NULL; END IF;
        IF v_next IS NULL THEN RETURN v_id; END IF;
        v_id := v_next;
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vrs.current_registration(char, uuid) FROM PUBLIC;

-- Takes the heads of several audit chains in code order. A door that appends to two chains
-- (an inquiry: the provider's, then the caller's) takes both first: A asking B while B asks A
-- would otherwise lock the two heads in opposite orders and deadlock.
CREATE FUNCTION vrs.lock_audit_chains(p_codes char(6)[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_code char(6);
BEGIN
    FOR v_code IN SELECT DISTINCT c FROM unnest(p_codes) AS c WHERE c IS NOT NULL ORDER BY c LOOP
        INSERT INTO vrs.audit_chain (municipality_code, last_seq, last_hash)
        VALUES (v_code, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
        ON CONFLICT (municipality_code) DO NOTHING;
        PERFORM 1 FROM vrs.audit_chain c WHERE c.municipality_code = v_code FOR UPDATE;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION vrs.lock_audit_chains(char[]) FROM PUBLIC;

-- The hand-over of 0012 appends to two chains as well (the receiver's, then the hander's).
CREATE OR REPLACE FUNCTION vrs.hand_over_vaccination(p_id uuid, p_version int, p_reason text, p_to char(6), p_coupon char(10),
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
    -- Then both chains' heads, in code order (A handing to B while B hands to A would otherwise
    -- lock them in opposite orders); after the dose's row, as a void or amend of it takes them.
    -- The one change from 0012's body.
    PERFORM vrs.lock_audit_chains(ARRAY[v_from, v_to]);
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
-- The door. p_indexes: the number's blind index under each of the provider's index key
-- versions. p_batch/p_line: a batch line being answered (the worker, in the asking
-- municipality's scope); NULL for a single inquiry, which the rate limit and the lock apply to.
-- Returns the inquiry id (= provision id), found / not_found, the records provided, how many were
-- copied into the caller's ledger, and whether this inquiry tripped the not-found lock.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.inquire_transfer(p_provider char(6), p_indexes bytea[], p_purpose text, p_person uuid,
                                     p_actor_id text, p_request_id text, p_batch uuid, p_line int)
    RETURNS TABLE (inquiry_id uuid, outcome text, records jsonb, copied int, locked boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_me       char(6) := vrs.current_municipality();
    v_provider char(6) := p_provider;
    v_purpose  text;
    v_role     text := CASE pg_catalog.current_setting('role') WHEN 'vrs_municipal_admin' THEN 'admin' ELSE 'staff' END;
    v_guard    vrs.inquiry_guard;
    v_minute   timestamptz := pg_catalog.date_trunc('minute', pg_catalog.clock_timestamp());
    v_count    int;
    v_person   uuid;
    v_found    uuid;
    v_line     vrs.transfer_batch_line;
    v_id       uuid := pg_catalog.gen_random_uuid();
    v_outcome  text;
    v_records  jsonb := '[]';
    v_n        int := 0;
    v_copied   int := 0;
    v_new      uuid;
    v_rec      record;
    v_since    timestamptz;
    v_asked    int;
    v_missed   int;
    v_locked   boolean := false;
    v_kind     text := CASE WHEN p_batch IS NULL THEN 'single' ELSE 'batch' END;
BEGIN
    -- A batch line is asked for the purpose its batch was submitted with, whatever the caller says.
    v_purpose := vrs.check_inquiry_route(v_provider, CASE WHEN p_batch IS NULL THEN p_purpose ELSE
        (SELECT b.purpose_code FROM vrs.transfer_batch b WHERE b.batch_id = p_batch AND b.municipality_code = vrs.current_municipality()) END);
    IF p_actor_id IS NULL OR p_actor_id = '' THEN
        RAISE EXCEPTION 'an inquiry names the user who asks' USING ERRCODE = '22023';
    END IF;
    IF p_indexes IS NULL OR pg_catalog.cardinality(p_indexes) NOT BETWEEN 1 AND 16 THEN
        RAISE EXCEPTION 'an inquiry carries between 1 and 16 blind indexes' USING ERRCODE = '22023';
    END IF;
    PERFORM vrs.check_inquiry_lock(p_actor_id);
    SELECT * INTO v_guard FROM vrs.inquiry_guard;
    PERFORM vrs.lock_audit_chains(ARRAY[v_me, v_provider]);

    IF p_batch IS NULL THEN
        -- The rate: single inquiries of this user in the current minute (the tally row is the lock
        -- that orders concurrent inquiries of one user).
        INSERT INTO vrs.inquiry_tally AS t (municipality_code, account_id, minute, single_count)
        VALUES (v_me, p_actor_id, v_minute, 1)
        ON CONFLICT (municipality_code, account_id, minute) DO UPDATE SET single_count = t.single_count + 1
        RETURNING t.single_count INTO v_count;
        IF v_count > v_guard.per_minute THEN
            RAISE EXCEPTION 'more than % inquiries in a minute: wait and ask again', v_guard.per_minute
                USING ERRCODE = 'VRS51',
                      DETAIL = (60 - pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - v_minute)))::int::text;
        END IF;
        IF p_person IS NOT NULL THEN
            IF NOT EXISTS (SELECT 1 FROM vrs.person p WHERE p.municipality_code = v_me AND p.person_id = p_person
                                                      AND p.merged_into IS NULL) THEN
                RAISE EXCEPTION 'person % is not a current registration of your municipality', p_person
                    USING ERRCODE = 'VRS54', HINT = 'personId';
            END IF;
            v_person := p_person;
        END IF;
    ELSE
        SELECT * INTO v_line FROM vrs.transfer_batch_line l
         WHERE l.municipality_code = v_me AND l.batch_id = p_batch AND l.line_number = p_line
           AND l.answered_at IS NULL AND l.provider_code = v_provider
           FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'line % of batch % is answered already or does not exist', p_line, p_batch USING ERRCODE = 'VRS57';
        END IF;
        -- A registration merged since the upload: its doses are on the one it was merged into.
        IF v_line.person_id IS NOT NULL THEN
            v_person := vrs.current_registration(v_me, v_line.person_id);
        END IF;
    END IF;

    -- The provider's side: bound to it for the lookup and its copy of the record.
    PERFORM pg_catalog.set_config('vrs.municipality', v_provider, true);
    SELECT p.person_id INTO v_found FROM vrs.person p
     WHERE p.municipality_code = v_provider AND p.individual_number_index = ANY (p_indexes)
     LIMIT 1;
    IF v_found IS NOT NULL THEN
        v_found := vrs.current_registration(v_provider, v_found);
    END IF;
    v_outcome := CASE WHEN v_found IS NULL THEN 'not_found' ELSE 'found' END;
    IF v_found IS NOT NULL THEN
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'originVaccinationId', coalesce(v.origin_vaccination_id, v.vaccination_id),
                   'municipalityCode', coalesce(v.origin_municipality_code, v.municipality_code),
                   'dose', v.dose, 'vaccinatedOn', v.vaccinated_on,
                   'couponNumber', coalesce(v.coupon_number, v.origin_coupon_number),
                   'product', v.product_code, 'lotNumber', v.lot_number,
                   'siteName', v.site_name, 'doctorName', v.doctor_name)
                   ORDER BY v.vaccinated_on, v.dose, v.vaccination_id), '[]'), pg_catalog.count(*)
          INTO v_records, v_n
          FROM vrs.vaccination v
         WHERE v.municipality_code = v_provider AND v.person_id = v_found AND v.state = 'recorded';
    END IF;
    INSERT INTO vrs.provision_record (municipality_code, provision_id, requester_code, provider_code, outcome,
                                      record_count, request_id, batch_id, account_id, purpose_code, kind)
    VALUES (v_provider, v_id, v_me, v_provider, v_outcome, v_n, p_request_id, p_batch, p_actor_id, v_purpose, v_kind);
    PERFORM vrs.append_audit_event_in(v_provider, p_actor_id, v_role, 'transfer.provision',
        CASE WHEN v_found IS NULL THEN 'provision' ELSE 'person' END, coalesce(v_found, v_id)::text, 'success',
        p_request_id, NULL,
        pg_catalog.jsonb_build_object('requester', v_me::text, 'inquiryId', v_id::text, 'outcome', v_outcome,
                                      'records', v_n::text, 'purpose', v_purpose, 'kind', v_kind));

    -- The caller's side.
    PERFORM pg_catalog.set_config('vrs.municipality', v_me, true);
    IF v_person IS NOT NULL AND v_n > 0 THEN
        FOR v_rec IN
            SELECT (r ->> 'originVaccinationId')::uuid AS origin_id, (r ->> 'municipalityCode')::char(6) AS origin_code,
                   (r ->> 'dose')::smallint AS dose, (r ->> 'vaccinatedOn')::date AS vaccinated_on,
                   (r ->> 'couponNumber')::char(10) AS coupon_number, r ->> 'product' AS product,
                   r ->> 'lotNumber' AS lot_number, r ->> 'siteName' AS site_name, r ->> 'doctorName' AS doctor_name
              FROM pg_catalog.jsonb_array_elements(v_records) r
        LOOP
            -- A dose first given here (the person came back) is in this ledger already.
            CONTINUE WHEN v_rec.origin_code = v_me;
            v_new := NULL;
            INSERT INTO vrs.vaccination (municipality_code, person_id, coupon_number, dose, vaccinated_on, product_code,
                                         lot_number, site_name, doctor_name, source, origin_municipality_code,
                                         origin_vaccination_id, origin_coupon_number, inquiry_id)
            VALUES (v_me, v_person, NULL, v_rec.dose, v_rec.vaccinated_on, v_rec.product, v_rec.lot_number,
                    v_rec.site_name, v_rec.doctor_name, 'transfer', v_rec.origin_code, v_rec.origin_id,
                    v_rec.coupon_number, v_id)
            ON CONFLICT (municipality_code, origin_municipality_code, origin_vaccination_id)
               WHERE origin_vaccination_id IS NOT NULL AND state = 'recorded' DO NOTHING
            RETURNING vaccination_id INTO v_new;
            CONTINUE WHEN v_new IS NULL;
            v_copied := v_copied + 1;
            INSERT INTO vrs.record_change (municipality_code, record_type, record_id, person_ids, action, reason, actor_id,
                                           actor_role, request_id, old_values, new_values)
            VALUES (v_me, 'vaccination', v_new, ARRAY[v_person], 'vaccination.transfer', NULL, p_actor_id, v_role,
                    p_request_id, '{}'::jsonb,
                    pg_catalog.jsonb_build_object('origin_municipality_code', v_rec.origin_code, 'origin_vaccination_id',
                        v_rec.origin_id, 'origin_coupon_number', v_rec.coupon_number, 'dose', v_rec.dose,
                        'vaccinated_on', v_rec.vaccinated_on, 'inquiry_id', v_id));
        END LOOP;
    END IF;
    INSERT INTO vrs.provision_record (municipality_code, provision_id, requester_code, provider_code, outcome,
                                      record_count, request_id, batch_id, account_id, purpose_code, kind, copied_count)
    VALUES (v_me, v_id, v_me, v_provider, v_outcome, v_n, p_request_id, p_batch, p_actor_id, v_purpose, v_kind, v_copied);
    INSERT INTO vrs.provision_daily AS d (day, requester_code, provider_code, inquiries, found, records)
    VALUES ((pg_catalog.clock_timestamp() AT TIME ZONE 'Asia/Tokyo')::date, v_me, v_provider, 1,
            CASE WHEN v_found IS NULL THEN 0 ELSE 1 END, v_n)
    ON CONFLICT (day, requester_code, provider_code) DO UPDATE
       SET inquiries = d.inquiries + 1, found = d.found + EXCLUDED.found, records = d.records + EXCLUDED.records;
    PERFORM vrs.append_audit_event_in(v_me, p_actor_id, v_role, 'transfer.inquiry',
        CASE WHEN v_person IS NULL THEN 'provision' ELSE 'person' END, coalesce(v_person, v_id)::text, 'success',
        p_request_id, NULL,
        pg_catalog.jsonb_build_object('provider', v_provider::text, 'inquiryId', v_id::text, 'outcome', v_outcome,
                                      'records', v_n::text, 'copied', v_copied::text, 'purpose', v_purpose,
                                      'kind', v_kind, 'batchId', p_batch::text, 'line', p_line::text));

    IF p_batch IS NOT NULL THEN
        UPDATE vrs.transfer_batch_line l
           SET individual_number_cipher = NULL, key_version = NULL, outcome = v_outcome, inquiry_id = v_id,
               records = v_records, copied_count = v_copied, answered_at = pg_catalog.clock_timestamp()
         WHERE l.municipality_code = v_me AND l.batch_id = p_batch AND l.line_number = p_line;
        UPDATE vrs.transfer_batch b
           SET answered_count = b.answered_count + 1, found_count = b.found_count + CASE WHEN v_found IS NULL THEN 0 ELSE 1 END
         WHERE b.batch_id = p_batch;
    END IF;

    -- The not-found guard: this user's answers since the window began (or the last cleared lock).
    INSERT INTO vrs.inquiry_tally AS t (municipality_code, account_id, minute, inquiries, not_found)
    VALUES (v_me, p_actor_id, v_minute, 1, CASE WHEN v_found IS NULL THEN 1 ELSE 0 END)
    ON CONFLICT (municipality_code, account_id, minute) DO UPDATE
       SET inquiries = t.inquiries + 1, not_found = t.not_found + EXCLUDED.not_found;
    IF v_found IS NULL THEN
        SELECT pg_catalog.max(l.cleared_at) INTO v_since FROM vrs.inquiry_lock l
         WHERE l.municipality_code = v_me AND l.account_id = p_actor_id;
        SELECT coalesce(pg_catalog.sum(t.inquiries), 0), coalesce(pg_catalog.sum(t.not_found), 0) INTO v_asked, v_missed
          FROM vrs.inquiry_tally t
         WHERE t.municipality_code = v_me AND t.account_id = p_actor_id
           AND t.minute > v_minute - v_guard.window_length
           AND (v_since IS NULL OR t.minute >= pg_catalog.date_trunc('minute', v_since));
        IF v_asked >= v_guard.min_inquiries AND v_missed > v_guard.max_not_found_ratio * v_asked THEN
            INSERT INTO vrs.inquiry_lock (municipality_code, account_id, inquiries, not_found)
            VALUES (v_me, p_actor_id, v_asked, v_missed);
            PERFORM vrs.append_audit_event_in(v_me, p_actor_id, v_role, 'transfer.inquiry_locked', 'account', p_actor_id,
                'failure', p_request_id, NULL,
                pg_catalog.jsonb_build_object('inquiries', v_asked::text, 'notFound', v_missed::text,
                                              'window', v_guard.window_length::text));
            v_locked := true;
        END IF;
    END IF;
    RETURN QUERY SELECT v_id, v_outcome, v_records, v_copied, v_locked;
END
$$;
REVOKE ALL ON FUNCTION vrs.inquire_transfer(char, bytea[], text, uuid, text, text, uuid, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.inquire_transfer(char, bytea[], text, uuid, text, text, uuid, int) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- A batch: every line's previous municipality checked like a single inquiry's (VRS50/VRS53 with
-- the line in DETAIL), every person a current registration (VRS54), the numbers already
-- encrypted by the server under the caller's data key. p_lines: each line's number in the
-- uploaded file (results and errors name the file's lines). Returns the batch id.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.create_transfer_batch(p_purpose text, p_lines int[], p_providers char(6)[], p_persons uuid[], p_ciphers bytea[],
                                          p_key_version int, p_retention_seconds int, p_actor_id text, p_request_id text)
    RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_me      char(6) := vrs.current_municipality();
    v_role    text := CASE pg_catalog.current_setting('role') WHEN 'vrs_municipal_admin' THEN 'admin' ELSE 'staff' END;
    v_n       int := pg_catalog.cardinality(p_ciphers);
    v_purpose text;
    v_batch   uuid := pg_catalog.gen_random_uuid();
    v_code    char(6);
    v_i       int;
BEGIN
    IF v_me IS NULL THEN
        RAISE EXCEPTION 'no municipality is bound' USING ERRCODE = '42501';
    END IF;
    IF p_actor_id IS NULL OR p_actor_id = '' THEN
        RAISE EXCEPTION 'a batch names the user who asks' USING ERRCODE = '22023';
    END IF;
    IF v_n IS NULL OR v_n < 1 OR v_n > 100000 THEN
        RAISE EXCEPTION 'a batch holds between 1 and 100000 lines' USING ERRCODE = 'VRS55', DETAIL = '0';
    END IF;
    IF pg_catalog.cardinality(p_providers) IS DISTINCT FROM v_n OR pg_catalog.cardinality(p_persons) IS DISTINCT FROM v_n
       OR pg_catalog.cardinality(p_lines) IS DISTINCT FROM v_n
       OR (SELECT pg_catalog.count(DISTINCT l) FROM unnest(p_lines) l WHERE l > 0) <> v_n THEN
        RAISE EXCEPTION 'the lines of the batch disagree in length' USING ERRCODE = 'VRS55', DETAIL = '0';
    END IF;
    IF p_retention_seconds IS NULL OR p_retention_seconds NOT BETWEEN 60 AND 90 * 86400 THEN
        RAISE EXCEPTION 'retention out of range' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM vrs.municipality_key k
                    WHERE k.municipality_code = v_me AND k.purpose = 'data' AND k.version = p_key_version) THEN
        RAISE EXCEPTION 'no data key version % of your municipality', p_key_version USING ERRCODE = '22023';
    END IF;
    PERFORM vrs.check_inquiry_lock(p_actor_id);
    FOR v_code, v_i IN SELECT DISTINCT ON (u.c) u.c, u.l FROM unnest(p_providers, p_lines) AS u(c, l) ORDER BY u.c, u.l LOOP
        BEGIN
            v_purpose := vrs.check_inquiry_route(v_code, p_purpose);
        EXCEPTION WHEN SQLSTATE 'VRS50' OR SQLSTATE 'VRS53' THEN
            RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = SQLERRM, DETAIL = v_i::text,
                HINT = CASE SQLSTATE WHEN 'VRS50' THEN 'previous_municipality_code' ELSE 'purpose' END;
        END;
    END LOOP;
    SELECT u.l INTO v_i
      FROM unnest(p_persons, p_lines) AS u(p, l)
     WHERE u.p IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM vrs.person p WHERE p.municipality_code = v_me AND p.person_id = u.p AND p.merged_into IS NULL)
     ORDER BY u.l LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the person is not a current registration of your municipality' USING ERRCODE = 'VRS54',
            DETAIL = v_i::text, HINT = 'person_id';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_ciphers) c WHERE c IS NULL) THEN
        RAISE EXCEPTION 'a line has no number' USING ERRCODE = 'VRS55', DETAIL = '0';
    END IF;

    INSERT INTO vrs.transfer_batch (batch_id, municipality_code, account_id, purpose_code, request_id, line_count, expires_at)
    VALUES (v_batch, v_me, p_actor_id, v_purpose, p_request_id, v_n,
            pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => p_retention_seconds));
    INSERT INTO vrs.transfer_batch_line (municipality_code, batch_id, line_number, provider_code, person_id,
                                         individual_number_cipher, key_version)
    SELECT v_me, v_batch, u.l, u.c, u.p, u.x, p_key_version
      FROM unnest(p_lines, p_providers, p_persons, p_ciphers) AS u(l, c, p, x);
    PERFORM vrs.append_audit_event_in(v_me, p_actor_id, v_role, 'transfer.batch_submitted', 'transfer_batch', v_batch::text,
        'success', p_request_id, NULL,
        pg_catalog.jsonb_build_object('lines', v_n::text, 'purpose', v_purpose,
            'providers', (SELECT pg_catalog.count(DISTINCT c)::text FROM unnest(p_providers) c)));
    RETURN v_batch;
END
$$;
REVOKE ALL ON FUNCTION vrs.create_transfer_batch(text, int[], char[], uuid[], bytea[], int, int, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.create_transfer_batch(text, int[], char[], uuid[], bytea[], int, int, text, text) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- The next chunk of a leased batch, in the asking municipality's scope: unanswered lines of its
-- lowest provider, in line order, and the lease extended. When none is left the batch is done
-- and the lease released (an empty answer). VRS56 when the lease is another worker's or lapsed.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.transfer_batch_lines(p_batch uuid, p_worker text, p_limit int, p_lease_seconds int)
    RETURNS TABLE (line_number int, provider_code char(6), person_id uuid, individual_number_cipher bytea, key_version int)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_me       char(6) := vrs.current_municipality();
    v_b        vrs.transfer_batch;
    v_provider char(6);
BEGIN
    IF p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 5 AND 3600 THEN
        RAISE EXCEPTION 'a lease lasts 5 s to 1 h' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_b FROM vrs.transfer_batch b WHERE b.batch_id = p_batch AND b.municipality_code = v_me FOR UPDATE;
    IF NOT FOUND OR v_b.lease_owner IS DISTINCT FROM p_worker OR v_b.lease_until < pg_catalog.clock_timestamp()
       OR v_b.status <> 'running' THEN
        RAISE EXCEPTION 'batch % is not leased by this worker', p_batch USING ERRCODE = 'VRS56';
    END IF;
    SELECT pg_catalog.min(l.provider_code) INTO v_provider FROM vrs.transfer_batch_line l
     WHERE l.municipality_code = v_me AND l.batch_id = p_batch AND l.answered_at IS NULL;
    IF v_provider IS NULL THEN
        UPDATE vrs.transfer_batch b SET status = 'done', finished_at = pg_catalog.clock_timestamp(),
               lease_owner = NULL, lease_until = NULL
         WHERE b.batch_id = p_batch;
        PERFORM vrs.append_audit_event_in(v_me, v_b.account_id, 'staff', 'transfer.batch_done', 'transfer_batch',
            p_batch::text, 'success', v_b.request_id, NULL,
            pg_catalog.jsonb_build_object('lines', v_b.line_count::text, 'found', v_b.found_count::text));
        RETURN;
    END IF;
    UPDATE vrs.transfer_batch b
       SET lease_until = pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => p_lease_seconds)
     WHERE b.batch_id = p_batch;
    RETURN QUERY
        SELECT l.line_number, l.provider_code, l.person_id, l.individual_number_cipher, l.key_version
          FROM vrs.transfer_batch_line l
         WHERE l.municipality_code = v_me AND l.batch_id = p_batch AND l.answered_at IS NULL
           AND l.provider_code = v_provider
         ORDER BY l.line_number
         LIMIT greatest(1, least(coalesce(p_limit, 100), 1000));
END
$$;
REVOKE ALL ON FUNCTION vrs.transfer_batch_lines(uuid, text, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.transfer_batch_lines(uuid, text, int, int) TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- The worker's doors (role vrs_worker: no table, no municipality; these three alone).
------------------------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA vrs TO vrs_worker;

-- Leases the oldest open batch no live lease holds and whose user is not locked out.
CREATE FUNCTION vrs.claim_transfer_batch(p_worker text, p_lease_seconds int)
    RETURNS TABLE (batch_id uuid, municipality_code char(6), account_id text, purpose_code text, request_id text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_id uuid;
BEGIN
    IF p_worker IS NULL OR p_worker = '' OR p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 5 AND 3600 THEN
        RAISE EXCEPTION 'a claim names its worker and a lease of 5 s to 1 h' USING ERRCODE = '22023';
    END IF;
    SELECT b.batch_id INTO v_id FROM vrs.transfer_batch b
     WHERE b.status IN ('pending', 'running') AND b.expires_at > pg_catalog.clock_timestamp()
       AND (b.lease_until IS NULL OR b.lease_until < pg_catalog.clock_timestamp())
       AND NOT EXISTS (SELECT 1 FROM vrs.inquiry_lock l
                        WHERE l.municipality_code = b.municipality_code AND l.account_id = b.account_id
                          AND l.cleared_at IS NULL)
     ORDER BY b.created_at
     LIMIT 1
       FOR UPDATE SKIP LOCKED;
    IF v_id IS NULL THEN RETURN; END IF;
    RETURN QUERY
        UPDATE vrs.transfer_batch b
           SET status = 'running', lease_owner = p_worker,
               lease_until = pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => p_lease_seconds)
         WHERE b.batch_id = v_id
        RETURNING b.batch_id, b.municipality_code, b.account_id, b.purpose_code, b.request_id;
END
$$;
REVOKE ALL ON FUNCTION vrs.claim_transfer_batch(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.claim_transfer_batch(text, int) TO vrs_worker;

-- Gives a lease back (graceful shutdown, a locked user): the batch waits for the next claim.
CREATE FUNCTION vrs.release_transfer_batch(p_batch uuid, p_worker text) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    WITH released AS (
        UPDATE vrs.transfer_batch b SET status = 'pending', lease_owner = NULL, lease_until = NULL
         WHERE b.batch_id = p_batch AND b.lease_owner = p_worker AND b.status = 'running'
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM released);
$$;
REVOKE ALL ON FUNCTION vrs.release_transfer_batch(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.release_transfer_batch(uuid, text) TO vrs_worker;

-- Deletes the lines (numbers not yet asked, answers) of batches past their retention, one batch
-- and so one partition per loop, and marks them expired (audited in the asking municipality's
-- chain); drops guard tallies older than the window. Returns the batches expired.
CREATE FUNCTION vrs.purge_transfer_batches() RETURNS int
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_b       record;
    v_n       int := 0;
    v_deleted int;
BEGIN
    FOR v_b IN
        SELECT b.batch_id, b.municipality_code, b.request_id, b.line_count FROM vrs.transfer_batch b
         WHERE b.status <> 'expired' AND b.expires_at <= pg_catalog.clock_timestamp()
         ORDER BY b.expires_at LIMIT 100
           FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM pg_catalog.set_config('vrs.municipality', v_b.municipality_code, true);
        DELETE FROM vrs.transfer_batch_line l WHERE l.municipality_code = v_b.municipality_code AND l.batch_id = v_b.batch_id;
        GET DIAGNOSTICS v_deleted = ROW_COUNT;
        UPDATE vrs.transfer_batch b SET status = 'expired', lease_owner = NULL, lease_until = NULL
         WHERE b.batch_id = v_b.batch_id;
        PERFORM vrs.append_audit_event_in(v_b.municipality_code, 'system', 'worker', 'transfer.batch_expired',
            'transfer_batch', v_b.batch_id::text, 'success', v_b.request_id, NULL,
            pg_catalog.jsonb_build_object('linesDeleted', v_deleted::text));
        v_n := v_n + 1;
    END LOOP;
    PERFORM pg_catalog.set_config('vrs.municipality', '', true);
    DELETE FROM vrs.inquiry_tally t
     WHERE t.minute < pg_catalog.clock_timestamp() - (SELECT g.window_length FROM vrs.inquiry_guard g) - interval '1 minute';
    RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION vrs.purge_transfer_batches() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.purge_transfer_batches() TO vrs_worker;

------------------------------------------------------------------------------------------------
-- An admin lets a locked user ask again. Returns false when the user had no open lock.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.clear_inquiry_lock(p_account text, p_actor_id text, p_request_id text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
DECLARE
    v_me   char(6) := vrs.current_municipality();
    v_lock vrs.inquiry_lock;
BEGIN
    IF v_me IS NULL THEN
        RAISE EXCEPTION 'no municipality is bound' USING ERRCODE = '42501';
    END IF;
    UPDATE vrs.inquiry_lock l SET cleared_at = pg_catalog.clock_timestamp(), cleared_by = p_actor_id
     WHERE l.municipality_code = v_me AND l.account_id = p_account AND l.cleared_at IS NULL
    RETURNING * INTO v_lock;
    IF NOT FOUND THEN RETURN false; END IF;
    -- The not-found count starts afresh at the clear (the tally is per minute); the rate stays.
    UPDATE vrs.inquiry_tally t SET inquiries = 0, not_found = 0
     WHERE t.municipality_code = v_me AND t.account_id = p_account;
    PERFORM vrs.append_audit_event_in(v_me, p_actor_id, 'admin', 'transfer.inquiry_unlocked', 'account', p_account,
        'success', p_request_id, NULL,
        pg_catalog.jsonb_build_object('lockedAt', v_lock.locked_at::text, 'inquiries', v_lock.inquiries::text,
                                      'notFound', v_lock.not_found::text));
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION vrs.clear_inquiry_lock(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.clear_inquiry_lock(text, text, text) TO vrs_municipal_admin;
