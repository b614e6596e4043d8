-- 0001 tenant store: reference data, the tenant registry and keys, the partitioned personal-data
-- tables with forced row-level security, and the provisioning functions.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
-- Isolation model
--   * Every personal-data table is LIST-partitioned by municipality_code; one partition per
--     provisioned municipality, created by vrs.provision_municipality(). No DEFAULT partition, so a
--     row for an unprovisioned municipality fails to insert.
--   * RLS is enabled AND forced on every partitioned table; policies compare municipality_code
--     with vrs.current_municipality(), the tenant the transaction bound with
--     set_config('vrs.municipality', $code, true).
--   * Privileges are granted on the parent tables only, never on a partition: a caller can reach
--     rows only through the parent, where the policies apply.
--   * vrs_operator holds no privilege at all on personal data.

GRANT USAGE ON SCHEMA vrs TO vrs_municipal, vrs_operator, vrs_device;

------------------------------------------------------------------------------------------------
-- The tenant bound to the current transaction.
-- STABLE (never IMMUTABLE: a cached plan would serve another tenant's rows) and plain SQL without
-- SET clauses, so the planner inlines it into the policies. A value that is not exactly six
-- characters (unset, '', or malformed) means "no tenant": the cast to char(6) would otherwise
-- silently truncate '1310169' to '131016'.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.current_municipality() RETURNS char(6)
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN pg_catalog.length(pg_catalog.current_setting('vrs.municipality', true)) = 6
                THEN pg_catalog.current_setting('vrs.municipality', true)::char(6)
           END
$$;
REVOKE ALL ON FUNCTION vrs.current_municipality() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.current_municipality() TO vrs_municipal, vrs_operator, vrs_device;

------------------------------------------------------------------------------------------------
-- Reference data (public, no RLS).
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.municipality_directory (
    code       char(6) PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    prefecture text NOT NULL,
    name       text NOT NULL,
    name_kana  text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('prefecture', 'designated_city', 'ward', 'city', 'town',
                                             'village', 'special_ward'))
);
COMMENT ON TABLE vrs.municipality_directory IS
    'Official list of local government codes (総務省「都道府県コード及び市区町村コード」), loaded by the runner.';
GRANT SELECT ON vrs.municipality_directory TO vrs_municipal, vrs_operator, vrs_device;

CREATE TABLE vrs.vaccine_product (
    code     text PRIMARY KEY,
    name     text NOT NULL,
    maker    text NOT NULL,
    cvx_code text
);
COMMENT ON COLUMN vrs.vaccine_product.cvx_code IS
    'CDC CVX code used on certificates; for products with several age formulations, the code of the 12+ formulation.';
GRANT SELECT ON vrs.vaccine_product TO vrs_municipal, vrs_operator, vrs_device;

INSERT INTO vrs.vaccine_product (code, name, maker, cvx_code) VALUES
    ('pfizer-comirnaty',             'コミナティ筋注',                                   'ファイザー',          '208'),
    ('moderna-spikevax',             'スパイクバックス筋注',                             '武田/モデルナ',       '207'),
    ('astrazeneca-vaxzevria',        'バキスゼブリア筋注',                               'アストラゼネカ',      '210'),
    ('novavax-nuvaxovid',            'ヌバキソビッド筋注',                               '武田/ノババックス',   '211'),
    ('daiichisankyo-daichirona',     'ダイチロナ筋注',                                   '第一三共',            NULL),
    ('pfizer-comirnaty-ba45',        'コミナティRTU筋注（2価：起源株/オミクロン株BA.4-5）', 'ファイザー',        '300'),
    ('moderna-spikevax-ba45',        'スパイクバックス筋注（2価：起源株/オミクロン株BA.4-5）', '武田/モデルナ',  '229'),
    ('pfizer-comirnaty-xbb15',       'コミナティ筋注（1価：オミクロン株XBB.1.5）',         'ファイザー',          '309'),
    ('moderna-spikevax-xbb15',       'スパイクバックス筋注（1価：オミクロン株XBB.1.5）',   'モデルナ',            '311'),
    ('novavax-nuvaxovid-xbb15',      'ヌバキソビッド筋注（1価：オミクロン株XBB.1.5）',     '武田/ノババックス',   '313'),
    ('pfizer-comirnaty-jn1',         'コミナティ筋注（1価：オミクロン株JN.1）',            'ファイザー',          '309'),
    ('moderna-spikevax-jn1',         'スパイクバックス筋注（1価：オミクロン株JN.1）',      'モデルナ',            '311')
ON CONFLICT (code) DO NOTHING;

------------------------------------------------------------------------------------------------
-- Tenant registry and per-municipality wrapped keys (not partitioned; RLS forced).
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.municipality (
    code           char(6) PRIMARY KEY REFERENCES vrs.municipality_directory (code),
    name           text NOT NULL,
    prefecture     text NOT NULL,
    kind           text NOT NULL,
    key_version    int NOT NULL DEFAULT 1 CHECK (key_version > 0),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    provisioned_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE vrs.municipality ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.municipality FORCE ROW LEVEL SECURITY;
GRANT SELECT ON vrs.municipality TO vrs_municipal, vrs_operator, vrs_device;
GRANT UPDATE (key_version) ON vrs.municipality TO vrs_municipal;
CREATE POLICY operator_read ON vrs.municipality FOR SELECT TO vrs_operator USING (true);
CREATE POLICY tenant_read ON vrs.municipality FOR SELECT TO vrs_municipal, vrs_device
    USING (code = vrs.current_municipality());
CREATE POLICY municipal_key_version ON vrs.municipality FOR UPDATE TO vrs_municipal
    USING (code = vrs.current_municipality()) WITH CHECK (code = vrs.current_municipality());
-- The SECURITY DEFINER functions (owner) read and insert the registry.
CREATE POLICY owner_all ON vrs.municipality FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

CREATE TABLE vrs.municipality_key (
    municipality_code char(6) NOT NULL REFERENCES vrs.municipality (code),
    purpose           text NOT NULL CHECK (purpose IN ('data', 'index')),
    version           int NOT NULL CHECK (version > 0),
    wrapped           bytea NOT NULL,
    master_key_id     text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_code, purpose, version)
);
COMMENT ON TABLE vrs.municipality_key IS
    'Per-municipality data and blind-index keys, wrapped by a master key that never enters the database.';
ALTER TABLE vrs.municipality_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE vrs.municipality_key FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON vrs.municipality_key TO vrs_municipal;
GRANT SELECT ON vrs.municipality_key TO vrs_operator;
GRANT UPDATE (wrapped, master_key_id) ON vrs.municipality_key TO vrs_operator;
CREATE POLICY municipal_read ON vrs.municipality_key FOR SELECT TO vrs_municipal
    USING (municipality_code = vrs.current_municipality());
CREATE POLICY municipal_insert ON vrs.municipality_key FOR INSERT TO vrs_municipal
    WITH CHECK (municipality_code = vrs.current_municipality());
CREATE POLICY operator_read ON vrs.municipality_key FOR SELECT TO vrs_operator USING (true);
CREATE POLICY operator_rewrap ON vrs.municipality_key FOR UPDATE TO vrs_operator
    USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON vrs.municipality_key FOR ALL TO vrs_owner USING (true) WITH CHECK (true);

------------------------------------------------------------------------------------------------
-- Personal data, LIST-partitioned by municipality_code.
------------------------------------------------------------------------------------------------
CREATE TABLE vrs.person (
    municipality_code        char(6) NOT NULL,
    person_id                uuid NOT NULL DEFAULT gen_random_uuid(),
    address_number           text NOT NULL CHECK (length(address_number) BETWEEN 1 AND 32),
    individual_number_cipher bytea NOT NULL,
    individual_number_index  bytea NOT NULL CHECK (octet_length(individual_number_index) = 32),
    key_version              int NOT NULL,
    family_name              text NOT NULL,
    given_name               text NOT NULL,
    family_name_kana         text NOT NULL,
    given_name_kana          text NOT NULL,
    birth_date               date NOT NULL,
    sex                      char(1) NOT NULL CHECK (sex IN ('M', 'F', 'U')),
    status                   text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'moved_out', 'deceased')),
    status_effective_on      date,
    destination_code         char(6),
    moved_in_on              date,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_code, person_id),
    UNIQUE (municipality_code, address_number),
    UNIQUE (municipality_code, individual_number_index)
) PARTITION BY LIST (municipality_code);
COMMENT ON COLUMN vrs.person.individual_number_cipher IS
    'AES-256-GCM ciphertext of the Individual Number under the municipality data key (key_version).';
COMMENT ON COLUMN vrs.person.individual_number_index IS
    'HMAC-SHA-256 blind index of the Individual Number under the municipality index key.';
CREATE INDEX person_key_version_idx ON vrs.person (municipality_code, key_version);

CREATE TABLE vrs.coupon (
    municipality_code    char(6) NOT NULL,
    coupon_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    person_id            uuid NOT NULL,
    coupon_number        char(10) NOT NULL CHECK (coupon_number ~ '^[0-9]{10}$'),
    kind                 smallint NOT NULL CHECK (kind BETWEEN 0 AND 9),
    dose                 smallint CHECK (dose BETWEEN 1 AND 9),
    status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'superseded', 'void')),
    supersedes_coupon_id uuid,
    issued_on            date,
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_code, coupon_id),
    UNIQUE (municipality_code, coupon_number),
    FOREIGN KEY (municipality_code, person_id) REFERENCES vrs.person (municipality_code, person_id)
) PARTITION BY LIST (municipality_code);
CREATE INDEX coupon_person_idx ON vrs.coupon (municipality_code, person_id);

CREATE TABLE vrs.vaccination (
    municipality_code        char(6) NOT NULL,
    vaccination_id           uuid NOT NULL DEFAULT gen_random_uuid(),
    person_id                uuid,
    coupon_number            char(10),
    dose                     smallint NOT NULL CHECK (dose BETWEEN 1 AND 9),
    vaccinated_on            date NOT NULL,
    product_code             text NOT NULL REFERENCES vrs.vaccine_product (code),
    lot_number               text NOT NULL CHECK (length(lot_number) <= 20),
    site_name                text CHECK (length(site_name) <= 30),
    doctor_name              text CHECK (length(doctor_name) <= 20),
    source                   text NOT NULL CHECK (source IN ('tablet', 'staff', 'import', 'transfer')),
    origin_municipality_code char(6),
    device_id                uuid,
    client_record_id         text,
    flags                    text[] NOT NULL DEFAULT '{}',
    recorded_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_code, vaccination_id),
    UNIQUE (municipality_code, client_record_id),
    -- person_id is NULL while the tablet record waits for its coupon to be registered.
    FOREIGN KEY (municipality_code, person_id) REFERENCES vrs.person (municipality_code, person_id)
) PARTITION BY LIST (municipality_code);
CREATE INDEX vaccination_person_idx ON vrs.vaccination (municipality_code, person_id);
CREATE INDEX vaccination_coupon_idx ON vrs.vaccination (municipality_code, coupon_number);

CREATE TABLE vrs.provision_record (
    municipality_code char(6) NOT NULL,            -- the providing municipality
    provision_id      uuid NOT NULL DEFAULT gen_random_uuid(),
    requester_code    char(6) NOT NULL,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    outcome           text NOT NULL CHECK (outcome IN ('found', 'not_found')),
    record_count      int NOT NULL DEFAULT 0,
    request_id        text,
    batch_id          uuid,
    PRIMARY KEY (municipality_code, provision_id)
) PARTITION BY LIST (municipality_code);
COMMENT ON TABLE vrs.provision_record IS
    '情報提供等記録: one row per answer given to another municipality; never holds the Individual Number.';

-- RLS (enabled and forced), policies and grants: parents only.
DO $rls$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['person', 'coupon', 'vaccination', 'provision_record'] LOOP
        EXECUTE format('ALTER TABLE vrs.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE vrs.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('REVOKE ALL ON vrs.%I FROM PUBLIC', t);
        EXECUTE format($p$CREATE POLICY municipal_own ON vrs.%I FOR ALL TO vrs_municipal
                           USING (municipality_code = vrs.current_municipality())
                           WITH CHECK (municipality_code = vrs.current_municipality())$p$, t);
    END LOOP;
END
$rls$;
GRANT SELECT, INSERT, UPDATE, DELETE ON vrs.person, vrs.coupon, vrs.vaccination TO vrs_municipal;
GRANT SELECT, INSERT ON vrs.provision_record TO vrs_municipal;

------------------------------------------------------------------------------------------------
-- Partition creation. Generic over every LIST-partitioned table of schema vrs whose partition
-- key is the single column municipality_code, so a table added by a later migration gets its
-- partitions from provisioning without changing this function. Statement-level TRUNCATE
-- triggers of the parent (PostgreSQL does not clone them to partitions) are copied onto the
-- partition. Returns the number of partitions created.
-- Only provision_municipality (same owner) calls it: EXECUTE is granted to nobody.
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.create_municipality_partitions(p_code char(6)) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_parent text;
    v_part   text;
    v_trg    record;
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
    RETURN v_made;
END
$$;
REVOKE ALL ON FUNCTION vrs.create_municipality_partitions(char) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- Provisioning (operator only).
--   VRS01  code not in the official directory (or malformed)
--   VRS02  the code is a prefecture or a designated-city ward: not a tenant
--   22023  wrapped keys / master key id missing
-- Returns true when the municipality was created, false when it already existed (nothing is
-- changed then, except that missing partitions are created).
------------------------------------------------------------------------------------------------
CREATE FUNCTION vrs.provision_municipality(p_code char(6), p_data_key bytea, p_index_key bytea,
                                           p_master_key_id text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_dir      vrs.municipality_directory%ROWTYPE;
    v_inserted boolean;
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'malformed municipality code %', coalesce(quote_literal(p_code), 'NULL')
            USING ERRCODE = 'VRS01', HINT = 'A municipality code has six digits, the last a check digit.';
    END IF;
    SELECT * INTO v_dir FROM vrs.municipality_directory d WHERE d.code = p_code;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown municipality code %', p_code
            USING ERRCODE = 'VRS01', HINT = 'The code is not in the official list of local government codes.';
    END IF;
    IF v_dir.kind NOT IN ('designated_city', 'city', 'town', 'village', 'special_ward') THEN
        RAISE EXCEPTION 'municipality code % (%) is a %, which cannot be a tenant', p_code, v_dir.name, v_dir.kind
            USING ERRCODE = 'VRS02',
                  HINT = 'Tenants are designated cities, cities, towns, villages and special wards.';
    END IF;
    IF p_data_key IS NULL OR octet_length(p_data_key) = 0
       OR p_index_key IS NULL OR octet_length(p_index_key) = 0
       OR p_master_key_id IS NULL OR p_master_key_id = '' THEN
        RAISE EXCEPTION 'wrapped data key, wrapped index key and master key id are required'
            USING ERRCODE = '22023';
    END IF;

    INSERT INTO vrs.municipality (code, name, prefecture, kind)
    VALUES (v_dir.code, v_dir.name, v_dir.prefecture, v_dir.kind)
    ON CONFLICT (code) DO NOTHING;
    v_inserted := FOUND;

    IF v_inserted THEN
        INSERT INTO vrs.municipality_key (municipality_code, purpose, version, wrapped, master_key_id)
        VALUES (p_code, 'data', 1, p_data_key, p_master_key_id),
               (p_code, 'index', 1, p_index_key, p_master_key_id);
    END IF;

    PERFORM vrs.create_municipality_partitions(p_code);
    RETURN v_inserted;
END
$$;
REVOKE ALL ON FUNCTION vrs.provision_municipality(char, bytea, bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vrs.provision_municipality(char, bytea, bytea, text) TO vrs_operator;
