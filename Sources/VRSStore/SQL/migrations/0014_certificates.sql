-- 0014 certificates (接種証明書): the issuer's ES256 key, the record of every certificate issued,
-- and revocation (SMART Health Cards).
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
-- Issuer keys. The issuer is the service, not a municipality: vrs.issuer_key is unpartitioned and
-- holds no personal data. Three formats, all P-256 and named by their RFC 7638 thumbprint: 'shc'
-- signs SMART Health Cards; for ICAO VDS-NC, 'vds-nc-csca' (the country signing CA, with its
-- self-signed certificate) signs 'vds-nc-signer' certificates, and the barcode signer signs seals. The private half is sealed under the master key by the host's
-- `vrs keys init-issuer` (AES-GCM, context issuer.es256/<kid>), so the database never holds it in
-- the clear; `vrs keys rotate-master` re-seals it. A rotated key is retired, never deleted: cards
-- it signed must still verify, so its public JWK stays published. At most one active key a format.
--
-- Certificates. vrs.certificate is partitioned by municipality with RLS forced, like the records
-- it certifies: who (person id), which format and key, how many doses, when, by whom, and the
-- revocation id (`rid`, random, in the card's `vc.rid`). No name, number or dose detail: the card
-- itself is not kept. Staff and admins read and insert their own municipality's rows (insert only
-- unrevoked and as themselves); the partition's foreign key ties each row to the municipality's
-- own person. Revocation goes through a door only.
--
-- Revocations. vrs.certificate_revocation (kid, rid) is unpartitioned and holds no personal data,
-- so that the public revocation list of a key is one index read, not a walk over every
-- municipality's partition. Appended by revoke_certificate; never updated or deleted.
--
-- Doors:
--   issuer_public_keys()        every key's public JWK with its crlVersion (the count of its
--                               revocations, when there is one), active first: EXECUTE to vrs_app,
--                               which serves /.well-known/jwks.json without a caller.
--   issuer_revocations(kid)     the rids revoked under a key, oldest first: EXECUTE to vrs_app
--                               (/.well-known/crl/{kid}.json).
--   issuer_signing_key(format)  the active 'shc' or 'vds-nc-signer' key's kid, sealed private half
--                               and certificate (never the CSCA's: 42501): EXECUTE to vrs_municipal
--                               (and so its admins); useless without the master key.
--   revoke_certificate(id)      an admin revokes a certificate of its own municipality: the row
--                               marked, the rid appended to the list; again on a revoked one
--                               changes nothing; another municipality's (or an unknown) id answers
--                               no row. EXECUTE to vrs_municipal_admin.
-- Errors: VRS60 no active issuer key of that format.
--
-- Locks: CREATE TABLE (the certificate parent; partitions for municipalities provisioned earlier
-- are created by the runner, one municipality per transaction) and CREATE FUNCTION.

------------------------------------------------------------------------------------------------
-- Issuer keys.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.issuer_key (
    kid           text PRIMARY KEY CONSTRAINT issuer_key_kid_check CHECK (kid ~ '^[A-Za-z0-9_-]{43}$'),
    format        text NOT NULL CONSTRAINT issuer_key_format_check CHECK (format IN ('shc', 'vds-nc-csca', 'vds-nc-signer')),
    public_jwk    jsonb NOT NULL CONSTRAINT issuer_key_jwk_check CHECK (
                      public_jwk ->> 'kid' = kid AND public_jwk ->> 'kty' = 'EC' AND public_jwk ->> 'crv' = 'P-256'
                      AND NOT public_jwk ? 'd'),
    sealed_key    bytea NOT NULL,
    master_key_id text NOT NULL,
    -- VDS-NC keys have their X.509 certificate (DER); the SMART Health Card key has none.
    certificate   bytea CONSTRAINT issuer_key_certificate_check CHECK ((format = 'shc') = (certificate IS NULL)),
    created_at    timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz
);
COMMENT ON TABLE vrs.issuer_key IS
    'Certificate issuer keys: public JWK, private half sealed under the master key (issuer.es256/<kid>). Retired keys stay published.';
CREATE UNIQUE INDEX issuer_key_one_active ON vrs.issuer_key (format) WHERE retired_at IS NULL;
REVOKE ALL ON vrs.issuer_key FROM PUBLIC;
-- No caller role has a grant; RLS as on every table that is not reference data, so that a grant
-- added by mistake still reaches nothing.
ALTER TABLE vrs.issuer_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.issuer_key FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON vrs.issuer_key FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

------------------------------------------------------------------------------------------------
-- Certificates issued, and revocations.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.certificate (
    municipality_code char(6) NOT NULL,
    certificate_id    uuid NOT NULL,
    person_id         uuid NOT NULL,
    format            text NOT NULL CONSTRAINT certificate_format_check CHECK (format IN ('shc', 'vds-nc')),
    kid               text NOT NULL,
    revocation_id     text NOT NULL CONSTRAINT certificate_rid_check CHECK (revocation_id ~ '^[A-Za-z0-9_-]{1,24}$'),
    dose_count        int NOT NULL CONSTRAINT certificate_dose_count_check CHECK (dose_count > 0),
    issued_at         timestamptz NOT NULL DEFAULT now(),
    issued_by         text NOT NULL,
    revoked_at        timestamptz,
    revoked_by        text,
    PRIMARY KEY (municipality_code, certificate_id),
    CONSTRAINT certificate_revoked_check CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
) PARTITION BY LIST (municipality_code);
COMMENT ON TABLE vrs.certificate IS
    'Every certificate issued: person, format, key, dose count, time, issuer user, revocation id. Not the card itself.';
CREATE INDEX certificate_person_idx ON vrs.certificate (municipality_code, person_id, issued_at);
ALTER TABLE vrs.certificate ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.certificate FORCE ROW LEVEL SECURITY;
REVOKE ALL ON vrs.certificate FROM PUBLIC;
GRANT SELECT, INSERT ON vrs.certificate TO vrs_municipal;
CREATE POLICY municipal_read ON vrs.certificate FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY municipal_issue ON vrs.certificate FOR INSERT TO vrs_municipal
    WITH CHECK (municipality_code = vrs.current_municipality() AND revoked_at IS NULL
                AND issued_by = current_setting('vrs.actor_id', true));
CREATE POLICY owner_bound ON vrs.certificate FOR ALL TO vrs_owner
    USING (municipality_code = vrs.current_municipality()) WITH CHECK (municipality_code = vrs.current_municipality());

CREATE TABLE vrs.certificate_revocation (
    kid        text NOT NULL REFERENCES vrs.issuer_key (kid),
    rid        text NOT NULL CONSTRAINT certificate_revocation_rid_check CHECK (rid ~ '^[A-Za-z0-9_-]{1,24}$'),
    revoked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kid, rid)
);
COMMENT ON TABLE vrs.certificate_revocation IS
    'The revoked rids of each issuer key, for the public revocation lists: no personal data.';
REVOKE ALL ON vrs.certificate_revocation FROM PUBLIC;
ALTER TABLE vrs.certificate_revocation ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.certificate_revocation FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON vrs.certificate_revocation FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

-- A certificate's person is the municipality's own: the key on each partition, as 0004 does for
-- coupons and doses (a key on the parent would cost every insert a partitioned lookup).
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

    -- Foreign keys between the partitions of one municipality (0004, 0014): the key of a row of
    -- <child>_p<code> to its person can only be in person_p<code>. Added when the partition has no
    -- key to person_p<code> yet (fresh partitions); a key that 0004 had to add NOT VALID to an
    -- existing partition (lock budget, see the migration) is validated here, which takes
    -- SHARE UPDATE EXCLUSIVE on the partition and ROW SHARE on person_p<code>: writes go on.
    FOR v_fk IN
        SELECT f.child || '_p' || p_code AS child, 'person_p' || p_code AS ref,
               f.child || '_p' || p_code || '_person_fkey' AS name
          FROM (VALUES ('certificate'), ('coupon'), ('vaccination')) AS f(child)
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

------------------------------------------------------------------------------------------------
-- Doors.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.issuer_public_keys()
    RETURNS TABLE (kid text, format text, public_jwk jsonb, created_at timestamptz, retired_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    SELECT k.kid, k.format,
           CASE WHEN r.n > 0 THEN k.public_jwk || jsonb_build_object('crlVersion', r.n) ELSE k.public_jwk END,
           k.created_at, k.retired_at
      FROM vrs.issuer_key k
      LEFT JOIN LATERAL (SELECT pg_catalog.count(*)::int AS n FROM vrs.certificate_revocation c WHERE c.kid = k.kid) r ON true
     ORDER BY k.retired_at IS NOT NULL, k.created_at DESC, k.kid
$$;
REVOKE ALL ON FUNCTION vrs.issuer_public_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.issuer_public_keys() TO vrs_app;

CREATE FUNCTION vrs.issuer_revocations(p_kid text)
    RETURNS TABLE (rid text, revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
    SELECT c.rid, c.revoked_at FROM vrs.certificate_revocation c WHERE c.kid = p_kid ORDER BY c.revoked_at, c.rid
$$;
REVOKE ALL ON FUNCTION vrs.issuer_revocations(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.issuer_revocations(text) TO vrs_app;

CREATE FUNCTION vrs.issuer_signing_key(p_format text)
    RETURNS TABLE (kid text, sealed_key bytea, master_key_id text, certificate bytea)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    -- The keys that sign certificates of people; never the CSCA's, which signs only its signers.
    IF p_format IS NULL OR p_format NOT IN ('shc', 'vds-nc-signer') THEN
        RAISE EXCEPTION 'issuer keys of format % are not for signing certificates', coalesce(p_format, 'NULL') USING ERRCODE = '42501';
    END IF;
    RETURN QUERY SELECT k.kid, k.sealed_key, k.master_key_id, k.certificate FROM vrs.issuer_key k
                  WHERE k.format = p_format AND k.retired_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no active % issuer key: run vrs keys init-issuer', p_format USING ERRCODE = 'VRS60';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION vrs.issuer_signing_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.issuer_signing_key(text) TO vrs_municipal;

CREATE FUNCTION vrs.revoke_certificate(p_certificate uuid)
    RETURNS TABLE (kid text, rid text, revoked_at timestamptz, newly boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_me    char(6) := vrs.current_municipality();
    v_actor text := nullif(current_setting('vrs.actor_id', true), '');
    v_c     vrs.certificate;
BEGIN
    IF v_me IS NULL OR v_actor IS NULL THEN
        RAISE EXCEPTION 'no municipality or actor is bound' USING ERRCODE = '42501';
    END IF;
    SELECT * INTO v_c FROM vrs.certificate c
     WHERE c.municipality_code = v_me AND c.certificate_id = p_certificate FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;   -- not this municipality's (or no such certificate): no row, and the caller's transaction goes on to audit it
    END IF;
    IF v_c.revoked_at IS NOT NULL THEN
        RETURN QUERY SELECT v_c.kid, v_c.revocation_id, v_c.revoked_at, false;
        RETURN;
    END IF;
    UPDATE vrs.certificate c SET revoked_at = now(), revoked_by = v_actor
     WHERE c.municipality_code = v_me AND c.certificate_id = p_certificate;
    INSERT INTO vrs.certificate_revocation (kid, rid) VALUES (v_c.kid, v_c.revocation_id) ON CONFLICT DO NOTHING;
    RETURN QUERY SELECT v_c.kid, v_c.revocation_id, now(), true;
END
$$;
REVOKE ALL ON FUNCTION vrs.revoke_certificate(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.revoke_certificate(uuid) TO vrs_municipal_admin;
