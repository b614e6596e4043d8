-- 0006 account hardening: every role does exactly what its row in architecture.md §2 says.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
-- Needs vrs_municipal_admin (bootstrap.sql) and vrs.append_audit_event_in (0005).
--
-- What changes, and why (a review tried each role's own SQL as an attacker would):
--   * vrs_operator could write any account's password hash and TOTP secret, so an operator could
--     become any municipality's admin and read personal data. Operators now hold no write grant on
--     accounts or sessions at all. They act through SECURITY DEFINER doors that identify the
--     operator by a live session token (the database cannot be told "I am op.x" by a parameter)
--     and write each action into the central chain and the target municipality's chain:
--       create_first_admin        alone, only while the municipality has no admin;
--       request_account /         further admins and password resets: a second operator,
--       approve_account_request   never the requester, approves; only then is the hash set;
--       operator_set_locked       lock and unlock municipal user IDs.
--     Operator accounts themselves are created by the host administrator (`vrs operator create`,
--     as the owner), never by an operator: a second operator made by the first would defeat
--     four-eyes.
--   * vrs_auth (sign-in, before the caller is known) read every bcrypt hash and could insert a
--     session for anyone, un-revoke sessions, move last_seen_at forward and rewrite passwords. It
--     now has no table privilege: only the auth_* doors below, each for one named account or one
--     token hash. A trigger keeps sessions honest for every writer, the owner's doors included.
--   * vrs_municipal was one role for staff and admins. Account, session and device management
--     moves to vrs_municipal_admin (a member of vrs_municipal); staff reads accounts without their
--     secrets and manages nothing. Admins manage their own staff, not other admins.
--   * Key rows: staff could bump key_version or insert key rows, operators rewrap any tenant's
--     keys. Only the owner (provisioning, and the key rotation CLI) writes keys now.
--   * Partitions get row-level security enabled and forced as well as their parents.

------------------------------------------------------------------------------------------------
-- The owner's doors below act on these tables; the owner has no row access without a policy.
------------------------------------------------------------------------------------------------
CREATE POLICY owner_all ON vrs.account FOR ALL TO vrs_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON vrs.session FOR ALL TO vrs_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON vrs.device FOR ALL TO vrs_owner USING (true) WITH CHECK (true);
GRANT USAGE ON SCHEMA vrs TO vrs_municipal_admin;

------------------------------------------------------------------------------------------------
-- Accounts.
------------------------------------------------------------------------------------------------
REVOKE ALL ON vrs.account FROM vrs_auth, vrs_operator, vrs_municipal;
DROP POLICY auth_read ON vrs.account;
DROP POLICY auth_update ON vrs.account;
DROP POLICY operator_insert ON vrs.account;
DROP POLICY operator_update ON vrs.account;
DROP POLICY municipal_insert ON vrs.account;
DROP POLICY municipal_update ON vrs.account;
-- Nobody but the doors reads a password hash or a TOTP secret.
GRANT SELECT (user_id, role, municipality_code, display_name, must_change_password, failed_attempts,
              locked_until, locked, created_at, updated_at, password_changed_at)
    ON vrs.account TO vrs_operator, vrs_municipal;
GRANT INSERT (user_id, role, municipality_code, display_name, password_hash, must_change_password)
    ON vrs.account TO vrs_municipal_admin;
GRANT UPDATE (password_hash, must_change_password, failed_attempts, locked_until, locked, updated_at,
              password_changed_at, display_name)
    ON vrs.account TO vrs_municipal_admin;
-- An admin manages its own municipality's staff; further admins are the operators' four-eyes
-- work. A staff account an operator locked stays out of its admin's reach until an operator
-- unlocks it (a central lock is an incident response, not a local matter).
ALTER TABLE vrs.account ADD COLUMN locked_by_operator boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN vrs.account.locked_by_operator IS
    'The lock was set by an operator: only an operator lifts it, and the admin cannot reset the account meanwhile.';
GRANT SELECT (locked_by_operator) ON vrs.account TO vrs_operator, vrs_municipal;
CREATE POLICY admin_insert ON vrs.account FOR INSERT TO vrs_municipal_admin
    WITH CHECK (municipality_code = vrs.current_municipality() AND role = 'staff');
CREATE POLICY admin_update ON vrs.account FOR UPDATE TO vrs_municipal_admin
    USING (municipality_code = vrs.current_municipality() AND role = 'staff' AND NOT locked_by_operator)
    WITH CHECK (municipality_code = vrs.current_municipality() AND role = 'staff' AND NOT locked_by_operator);

-- A new password or an explicit lock ends the account's sessions, whoever wrote it (an admin's
-- reset, an operator's door, the owner by hand). A lock after failed sign-ins (locked_until) does
-- not: someone else typing wrong passwords must not throw the user out.
CREATE FUNCTION vrs.account_ends_sessions() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash OR (NEW.locked AND NOT OLD.locked) THEN
        UPDATE vrs.session SET revoked_at = now() WHERE user_id = NEW.user_id AND revoked_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vrs.account_ends_sessions() FROM PUBLIC;
CREATE TRIGGER account_ends_sessions AFTER UPDATE OF password_hash, locked ON vrs.account
    FOR EACH ROW EXECUTE FUNCTION vrs.account_ends_sessions();

------------------------------------------------------------------------------------------------
-- Sessions: token hashes are read by the doors only.
------------------------------------------------------------------------------------------------
REVOKE ALL ON vrs.session FROM vrs_auth, vrs_operator, vrs_municipal;
DROP POLICY auth_read ON vrs.session;
DROP POLICY auth_insert ON vrs.session;
DROP POLICY auth_update ON vrs.session;
DROP POLICY operator_revoke ON vrs.session;
DROP POLICY municipal_revoke ON vrs.session;
GRANT SELECT (user_id, role, municipality_code, created_at, last_seen_at, expires_at, revoked_at, client_address)
    ON vrs.session TO vrs_operator, vrs_municipal;
GRANT UPDATE (revoked_at) ON vrs.session TO vrs_municipal_admin;
CREATE POLICY admin_revoke ON vrs.session FOR UPDATE TO vrs_municipal_admin
    USING (municipality_code = vrs.current_municipality() AND role = 'staff')
    WITH CHECK (municipality_code = vrs.current_municipality() AND role = 'staff');

-- The longest session any configuration may ask for; VRS_SESSION_MAX_HOURS is capped to it.
CREATE FUNCTION vrs.session_max_lifetime() RETURNS interval
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT interval '24 hours' $$;
REVOKE ALL ON FUNCTION vrs.session_max_lifetime() FROM PUBLIC;

-- Whoever writes (a door, or the owner by hand): a session starts now, ends within the cap, is
-- never extended, is seen no later than now, and once revoked stays revoked. Moving a time
-- earlier only shortens a session, so it is allowed.
CREATE FUNCTION vrs.session_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        NEW.last_seen_at := now();
        IF NEW.revoked_at IS NOT NULL OR NEW.expires_at <= now()
           OR NEW.expires_at > now() + vrs.session_max_lifetime() THEN
            RAISE EXCEPTION 'a new session must be live and end within %', vrs.session_max_lifetime()
                USING ERRCODE = 'VRS20';
        END IF;
        -- The caller scope of every request comes from the session: it must be its account's.
        IF NOT EXISTS (SELECT 1 FROM vrs.account a
                        WHERE a.user_id = NEW.user_id AND a.role = NEW.role
                          AND a.municipality_code IS NOT DISTINCT FROM NEW.municipality_code) THEN
            RAISE EXCEPTION 'a session carries exactly its account''s role and municipality' USING ERRCODE = 'VRS20';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.token_hash, NEW.user_id, NEW.role, NEW.municipality_code, NEW.created_at, NEW.client_address)
       IS DISTINCT FROM (OLD.token_hash, OLD.user_id, OLD.role, OLD.municipality_code, OLD.created_at, OLD.client_address) THEN
        RAISE EXCEPTION 'a session''s identity never changes' USING ERRCODE = 'VRS20';
    END IF;
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'a revoked session stays revoked' USING ERRCODE = 'VRS20';
    END IF;
    IF NEW.revoked_at > clock_timestamp() THEN
        RAISE EXCEPTION 'revoked_at cannot lie in the future' USING ERRCODE = 'VRS20';
    END IF;
    IF NEW.last_seen_at > clock_timestamp() THEN
        RAISE EXCEPTION 'last_seen_at cannot lie in the future' USING ERRCODE = 'VRS20';
    END IF;
    IF NEW.expires_at > OLD.expires_at THEN
        RAISE EXCEPTION 'a session is never extended' USING ERRCODE = 'VRS20';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION vrs.session_guard() FROM PUBLIC;
CREATE TRIGGER session_guard BEFORE INSERT OR UPDATE ON vrs.session
    FOR EACH ROW EXECUTE FUNCTION vrs.session_guard();

------------------------------------------------------------------------------------------------
-- Devices: token hashes are read by the doors only; a revoked tablet stays revoked.
------------------------------------------------------------------------------------------------
REVOKE ALL ON vrs.device FROM vrs_auth, vrs_municipal;
DROP POLICY auth_read ON vrs.device;
DROP POLICY auth_seen ON vrs.device;
DROP POLICY municipal_insert ON vrs.device;
DROP POLICY municipal_revoke ON vrs.device;
GRANT SELECT (device_id, municipality_code, label, created_by, created_at, revoked_at, last_seen_at)
    ON vrs.device TO vrs_municipal;
GRANT INSERT (device_id, municipality_code, label, token_hash, created_by) ON vrs.device TO vrs_municipal_admin;
GRANT UPDATE (revoked_at) ON vrs.device TO vrs_municipal_admin;
CREATE POLICY admin_insert ON vrs.device FOR INSERT TO vrs_municipal_admin
    WITH CHECK (municipality_code = vrs.current_municipality());
CREATE POLICY admin_revoke ON vrs.device FOR UPDATE TO vrs_municipal_admin
    USING (municipality_code = vrs.current_municipality())
    WITH CHECK (municipality_code = vrs.current_municipality());

CREATE FUNCTION vrs.device_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'a revoked device stays revoked' USING ERRCODE = 'VRS20';
    END IF;
    IF NEW.last_seen_at > clock_timestamp() THEN
        RAISE EXCEPTION 'last_seen_at cannot lie in the future' USING ERRCODE = 'VRS20';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION vrs.device_guard() FROM PUBLIC;
CREATE TRIGGER device_guard BEFORE UPDATE ON vrs.device FOR EACH ROW EXECUTE FUNCTION vrs.device_guard();

------------------------------------------------------------------------------------------------
-- Keys: written by the owner only (provisioning door, rotation CLI).
------------------------------------------------------------------------------------------------
REVOKE UPDATE (key_version) ON vrs.municipality FROM vrs_municipal;
DROP POLICY municipal_key_version ON vrs.municipality;
REVOKE INSERT ON vrs.municipality_key FROM vrs_municipal;
DROP POLICY municipal_insert ON vrs.municipality_key;
REVOKE ALL ON vrs.municipality_key FROM vrs_operator;
REVOKE UPDATE (wrapped, master_key_id) ON vrs.municipality_key FROM vrs_operator;
DROP POLICY operator_read ON vrs.municipality_key;
DROP POLICY operator_rewrap ON vrs.municipality_key;

------------------------------------------------------------------------------------------------
-- Sign-in throttling per client address (accounts have their own failure count).
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.sign_in_throttle (
    client_address   text PRIMARY KEY CONSTRAINT sign_in_throttle_address_check CHECK (length(client_address) <= 64),
    window_started_at timestamptz NOT NULL,
    failures         int NOT NULL CONSTRAINT sign_in_throttle_failures_check CHECK (failures >= 0)
);
COMMENT ON TABLE vrs.sign_in_throttle IS
    'Failed sign-ins per client address in the current window; written by vrs.auth_record_failure only.';
ALTER TABLE vrs.sign_in_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.sign_in_throttle FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.sign_in_throttle FROM PUBLIC;
CREATE POLICY owner_all ON vrs.sign_in_throttle FOR ALL TO vrs_owner USING (true) WITH CHECK (true);


------------------------------------------------------------------------------------------------
-- Row-level security enabled and forced on every partition as well as its parent. The function
-- of 0004, with one more step at the end; same signature, security, settings and grants (none).
-- Partitions that exist already are secured by the runner after the migrations, one
-- municipality per transaction (Migrator.secureExistingPartitions): ALTER TABLE takes an ACCESS
-- EXCLUSIVE lock on each partition, and ~8,700 of them in one transaction would exhaust the lock
-- table (architecture.md §6). The central audit partition is secured here.
------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION vrs.create_municipality_partitions(p_code char(6)) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_parent text;
    v_part   text;
    v_trg    record;
    v_fk     record;
    v_con    record;
    v_made   integer := 0;
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{6}$'
       OR NOT EXISTS (SELECT 1 FROM vrs.municipality m WHERE m.code = p_code) THEN
        RAISE EXCEPTION 'municipality % is not provisioned', coalesce(p_code::text, 'NULL')
            USING ERRCODE = 'VRS01';
    END IF;

    FOR v_parent IN
        SELECT c.relname
          FROM pg_partitioned_table pt
          JOIN pg_class c ON c.oid = pt.partrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
         WHERE n.nspname = 'vrs'
           AND NOT c.relispartition
           AND pt.partstrat = 'l'
           AND pt.partnatts = 1
           AND a.attname = 'municipality_code'
         ORDER BY c.relname                      -- one lock order for concurrent provisioning
    LOOP
        v_part := v_parent || '_p' || p_code;
        IF to_regclass(format('vrs.%I', v_part)) IS NULL THEN
            EXECUTE format('CREATE TABLE vrs.%I PARTITION OF vrs.%I FOR VALUES IN (%L)',
                           v_part, v_parent, p_code);
            v_made := v_made + 1;
        END IF;
        FOR v_trg IN
            SELECT t.tgname, t.tgfoid::regproc AS fn,
                   CASE WHEN t.tgtype & 2 = 2 THEN 'BEFORE' ELSE 'AFTER' END AS timing
              FROM pg_trigger t
             WHERE t.tgrelid = format('vrs.%I', v_parent)::regclass
               AND NOT t.tgisinternal
               AND t.tgtype & 1 = 0                -- statement level
               AND t.tgtype & 32 = 32              -- TRUNCATE
               AND NOT EXISTS (SELECT 1 FROM pg_trigger pt
                                WHERE pt.tgrelid = format('vrs.%I', v_part)::regclass
                                  AND pt.tgname = t.tgname)
        LOOP
            EXECUTE format('CREATE TRIGGER %I %s TRUNCATE ON vrs.%I FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                           v_trg.tgname, v_trg.timing, v_part, v_trg.fn);
        END LOOP;
    END LOOP;

    -- Foreign keys between the partitions of one municipality (0004): the key of a row of
    -- <child>_p<code> to its person can only be in person_p<code>. Added when the partition has no
    -- key to person_p<code> yet (fresh partitions); a key that 0004 had to add NOT VALID to an
    -- existing partition (lock budget, see the migration) is validated here, which takes
    -- SHARE UPDATE EXCLUSIVE on the partition and ROW SHARE on person_p<code>: writes go on.
    FOR v_fk IN
        SELECT f.child || '_p' || p_code AS child, 'person_p' || p_code AS ref,
               f.child || '_p' || p_code || '_person_fkey' AS name
          FROM (VALUES ('coupon'), ('vaccination')) AS f(child)
         ORDER BY f.child
    LOOP
        SELECT k.conname, k.convalidated INTO v_con
          FROM pg_constraint k
         WHERE k.conrelid = format('vrs.%I', v_fk.child)::regclass
           AND k.confrelid = format('vrs.%I', v_fk.ref)::regclass
           AND k.contype = 'f'
         ORDER BY k.convalidated DESC, k.conname
         LIMIT 1;
        IF NOT FOUND THEN
            EXECUTE format('ALTER TABLE vrs.%I ADD CONSTRAINT %I FOREIGN KEY (municipality_code, person_id)'
                           ' REFERENCES vrs.%I (municipality_code, person_id)',
                           v_fk.child, v_fk.name, v_fk.ref);
        ELSIF NOT v_con.convalidated THEN
            EXECUTE format('ALTER TABLE vrs.%I VALIDATE CONSTRAINT %I', v_fk.child, v_con.conname);
        END IF;
    END LOOP;
    -- Row-level security on the partition itself (0006): access through the parent applies the
    -- parent's policies; a partition named directly (no caller role has a grant on one) is then
    -- refused by default rather than by grants alone.
    FOR v_part IN
        SELECT c.relname
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent
          JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE n.nspname = 'vrs' AND c.relname = p.relname || '_p' || p_code
           AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
         ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE vrs.%I ENABLE ROW LEVEL SECURITY', v_part);
        EXECUTE format('ALTER TABLE vrs.%I FORCE ROW LEVEL SECURITY', v_part);
    END LOOP;
    RETURN v_made;
END
$$;
REVOKE ALL ON FUNCTION vrs.create_municipality_partitions(char) FROM PUBLIC;

ALTER TABLE vrs.audit_event_p000000 ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.audit_event_p000000 FORCE ROW LEVEL SECURITY;
