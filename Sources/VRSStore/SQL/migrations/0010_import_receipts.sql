-- 0010 import receipts: what a file import answered, kept under the client's Idempotency-Key.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
-- A client whose connection dropped after it sent a file cannot know whether the file landed.
-- Sent again without a key, the file changes nothing (every line unchanged) but the client no
-- longer learns the counts of the first run. With the same Idempotency-Key it gets the stored
-- answer; with the key and a different file, a 409. Receipts hold counts and a SHA-256 of the
-- file (not personal data on its own), written in the import's own transaction: a rolled-back
-- import leaves no receipt. Not partitioned: one small row per import, RLS forced like
-- vrs.municipality.
CREATE TABLE vrs.import_receipt (
    municipality_code char(6) NOT NULL REFERENCES vrs.municipality (code),
    kind              text NOT NULL CHECK (kind IN ('persons', 'vaccinations')),
    idempotency_key   text NOT NULL CHECK (idempotency_key ~ '^[!-~]{1,64}$'),
    file_sha256       bytea NOT NULL CHECK (octet_length(file_sha256) = 32),
    counts            jsonb NOT NULL,
    actor_id          text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_code, kind, idempotency_key)
);
COMMENT ON TABLE vrs.import_receipt IS
    'The answer of each keyed file import, so a retried request gets the same counts; no personal data.';
ALTER TABLE vrs.import_receipt ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.import_receipt FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.import_receipt FROM PUBLIC;
GRANT SELECT, INSERT ON vrs.import_receipt TO vrs_municipal;
CREATE POLICY municipal_read ON vrs.import_receipt FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY municipal_insert ON vrs.import_receipt FOR INSERT TO vrs_municipal
    WITH CHECK (municipality_code = vrs.current_municipality());
CREATE POLICY owner_all ON vrs.import_receipt FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

-- The session and device checks of every request, callable by the login role itself in
-- autocommit: one round trip instead of BEGIN, SET LOCAL ROLE, the check and COMMIT. vrs_app
-- could reach both through SET ROLE vrs_auth already; this adds no capability. Both take the
-- token's hash, so they answer only for someone holding a token.
-- (0009 gave vrs_app USAGE on the schema for the tablet door.)
GRANT EXECUTE ON FUNCTION vrs.auth_session(bytea, int) TO vrs_app;
GRANT EXECUTE ON FUNCTION vrs.auth_device(bytea) TO vrs_app;
