-- 0003 accounts: user accounts, bearer sessions and tablet devices, with forced row-level security
-- for the four caller roles, and the authentication role vrs_auth.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
-- Who may do what (privileges narrow the columns, policies narrow the rows):
--   vrs_auth       authentication before the caller is known (log-in, session lookup, device-token
--                  lookup, log-out, password change): reads every account, session and device;
--                  updates only the log-in bookkeeping columns of an account (never its role,
--                  municipality, display name, TOTP secret or operator lock); creates sessions that
--                  copy the role and municipality of their account exactly; touches sessions
--                  (last_seen_at, revoked_at) and devices (last_seen_at).
--   vrs_operator   reads and creates every account, locks/unlocks/resets any account, revokes any
--                  session; nothing on devices.
--   vrs_municipal  the bound municipality's accounts (never an operator account), sessions and
--                  devices only.
--   vrs_device     nothing here.
-- Nobody but the owner may DELETE or TRUNCATE; accounts and devices are locked/revoked, not removed.
-- No policy is given to vrs_owner: the server never acts as the owner, and foreign-key checks and
-- the ON DELETE CASCADE of sessions run without row-level security anyway.

GRANT USAGE ON SCHEMA vrs TO vrs_auth;

------------------------------------------------------------------------------------------------
-- Accounts: operators (no municipality) and municipal admins/staff (exactly one municipality).
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.account (
    user_id              text PRIMARY KEY
                         CONSTRAINT account_user_id_check CHECK (user_id ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$'),
    role                 text NOT NULL
                         CONSTRAINT account_role_check CHECK (role IN ('operator', 'admin', 'staff')),
    municipality_code    char(6) CONSTRAINT account_municipality_code_fkey REFERENCES vrs.municipality (code),
    display_name         text NOT NULL
                         CONSTRAINT account_display_name_check CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash        text NOT NULL,
    must_change_password boolean NOT NULL DEFAULT true,
    totp_secret          bytea,
    totp_last_step       bigint,
    failed_attempts      int NOT NULL DEFAULT 0
                         CONSTRAINT account_failed_attempts_check CHECK (failed_attempts >= 0),
    locked_until         timestamptz,
    locked               boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    password_changed_at  timestamptz,
    CONSTRAINT account_role_municipality_check CHECK ((role = 'operator') = (municipality_code IS NULL))
);
COMMENT ON TABLE vrs.account IS
    'Operator accounts (municipality_code NULL) and municipal admin/staff accounts (their municipality).';
COMMENT ON COLUMN vrs.account.totp_secret IS
    'TOTP secret sealed by the server with the master key; NULL = no TOTP enrolled.';
COMMENT ON COLUMN vrs.account.totp_last_step IS
    'Last accepted TOTP time step: a code of this step or an earlier one is refused (no reuse).';
COMMENT ON COLUMN vrs.account.locked_until IS
    'Temporary lock after repeated failed log-ins.';
COMMENT ON COLUMN vrs.account.locked IS
    'Lock set by an operator or a municipal admin; only an unlock clears it.';
-- User IDs differing only in case would be told apart by the database but not by people (audit
-- log, support calls): they are unique regardless of case.
CREATE UNIQUE INDEX account_user_id_lower_key ON vrs.account (lower(user_id));
CREATE INDEX account_municipality_code_idx ON vrs.account (municipality_code);

ALTER TABLE vrs.account ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.account FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.account FROM PUBLIC;
GRANT SELECT ON vrs.account TO vrs_auth, vrs_operator, vrs_municipal;
GRANT INSERT ON vrs.account TO vrs_operator, vrs_municipal;
GRANT UPDATE (password_hash, must_change_password, totp_last_step, failed_attempts, locked_until,
              updated_at, password_changed_at)
    ON vrs.account TO vrs_auth;
GRANT UPDATE (password_hash, must_change_password, failed_attempts, locked_until, locked, updated_at,
              password_changed_at, totp_secret, totp_last_step)
    ON vrs.account TO vrs_operator;
GRANT UPDATE (password_hash, must_change_password, failed_attempts, locked_until, locked, updated_at,
              password_changed_at, totp_secret, totp_last_step, display_name)
    ON vrs.account TO vrs_municipal;

CREATE POLICY auth_read ON vrs.account FOR SELECT TO vrs_auth USING (true);
CREATE POLICY auth_update ON vrs.account FOR UPDATE TO vrs_auth USING (true) WITH CHECK (true);
CREATE POLICY operator_read ON vrs.account FOR SELECT TO vrs_operator USING (true);
CREATE POLICY operator_insert ON vrs.account FOR INSERT TO vrs_operator WITH CHECK (true);
CREATE POLICY operator_update ON vrs.account FOR UPDATE TO vrs_operator USING (true) WITH CHECK (true);
CREATE POLICY municipal_read ON vrs.account FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY municipal_insert ON vrs.account FOR INSERT TO vrs_municipal
    WITH CHECK (municipality_code = vrs.current_municipality() AND role <> 'operator');
CREATE POLICY municipal_update ON vrs.account FOR UPDATE TO vrs_municipal
    USING (municipality_code = vrs.current_municipality())
    WITH CHECK (municipality_code = vrs.current_municipality() AND role <> 'operator');

------------------------------------------------------------------------------------------------
-- Sessions: the server keeps only sha256(token). role and municipality_code are the account's
-- (checked when vrs_auth creates the session), so a session lookup yields the caller scope
-- without reading the account again.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.session (
    token_hash        bytea PRIMARY KEY
                      CONSTRAINT session_token_hash_check CHECK (octet_length(token_hash) = 32),
    user_id           text NOT NULL
                      CONSTRAINT session_user_id_fkey REFERENCES vrs.account (user_id) ON DELETE CASCADE,
    role              text NOT NULL
                      CONSTRAINT session_role_check CHECK (role IN ('operator', 'admin', 'staff')),
    municipality_code char(6),
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_seen_at      timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    revoked_at        timestamptz,
    client_address    text,
    CONSTRAINT session_role_municipality_check CHECK ((role = 'operator') = (municipality_code IS NULL))
);
COMMENT ON COLUMN vrs.session.token_hash IS 'SHA-256 of the bearer token; the token itself is never stored.';
CREATE INDEX session_user_id_idx ON vrs.session (user_id);

ALTER TABLE vrs.session ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.session FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.session FROM PUBLIC;
GRANT SELECT ON vrs.session TO vrs_auth, vrs_operator, vrs_municipal;
GRANT INSERT ON vrs.session TO vrs_auth;
GRANT UPDATE (last_seen_at, revoked_at) ON vrs.session TO vrs_auth;
GRANT UPDATE (revoked_at) ON vrs.session TO vrs_operator, vrs_municipal;

CREATE POLICY auth_read ON vrs.session FOR SELECT TO vrs_auth USING (true);
-- A session carries exactly its account's role and municipality: a wrong scope cannot be minted.
CREATE POLICY auth_insert ON vrs.session FOR INSERT TO vrs_auth
    WITH CHECK (EXISTS (SELECT 1 FROM vrs.account a
                         WHERE a.user_id = session.user_id
                           AND a.role = session.role
                           AND a.municipality_code IS NOT DISTINCT FROM session.municipality_code));
CREATE POLICY auth_update ON vrs.session FOR UPDATE TO vrs_auth USING (true) WITH CHECK (true);
CREATE POLICY operator_read ON vrs.session FOR SELECT TO vrs_operator USING (true);
CREATE POLICY operator_revoke ON vrs.session FOR UPDATE TO vrs_operator USING (true) WITH CHECK (true);
CREATE POLICY municipal_read ON vrs.session FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY municipal_revoke ON vrs.session FOR UPDATE TO vrs_municipal
    USING (municipality_code = vrs.current_municipality())
    WITH CHECK (municipality_code = vrs.current_municipality());

------------------------------------------------------------------------------------------------
-- Tablets: registered by a municipal admin; the server keeps only sha256(token).
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.device (
    device_id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    municipality_code char(6) NOT NULL
                      CONSTRAINT device_municipality_code_fkey REFERENCES vrs.municipality (code),
    label             text NOT NULL
                      CONSTRAINT device_label_check CHECK (length(label) BETWEEN 1 AND 100),
    token_hash        bytea NOT NULL
                      CONSTRAINT device_token_hash_key UNIQUE
                      CONSTRAINT device_token_hash_check CHECK (octet_length(token_hash) = 32),
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    revoked_at        timestamptz,
    last_seen_at      timestamptz
);
COMMENT ON COLUMN vrs.device.token_hash IS 'SHA-256 of the device token; the token itself is never stored.';
CREATE INDEX device_municipality_code_idx ON vrs.device (municipality_code);

ALTER TABLE vrs.device ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.device FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.device FROM PUBLIC;
GRANT SELECT ON vrs.device TO vrs_auth, vrs_municipal;
GRANT INSERT ON vrs.device TO vrs_municipal;
GRANT UPDATE (last_seen_at) ON vrs.device TO vrs_auth;
GRANT UPDATE (revoked_at) ON vrs.device TO vrs_municipal;

CREATE POLICY auth_read ON vrs.device FOR SELECT TO vrs_auth USING (true);
CREATE POLICY auth_seen ON vrs.device FOR UPDATE TO vrs_auth USING (true) WITH CHECK (true);
CREATE POLICY municipal_read ON vrs.device FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY municipal_insert ON vrs.device FOR INSERT TO vrs_municipal
    WITH CHECK (municipality_code = vrs.current_municipality());
CREATE POLICY municipal_revoke ON vrs.device FOR UPDATE TO vrs_municipal
    USING (municipality_code = vrs.current_municipality())
    WITH CHECK (municipality_code = vrs.current_municipality());

------------------------------------------------------------------------------------------------
-- Log-in, log-out and password changes are audited under vrs_auth: the chain is the bound
-- municipality (the account's, once found) or the central chain '000000'.
------------------------------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION vrs.append_audit_event(text, text, text, text, text, text, text, text, jsonb)
    TO vrs_auth;
