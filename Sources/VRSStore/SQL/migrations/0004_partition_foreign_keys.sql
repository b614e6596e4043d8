-- 0004 partition foreign keys: coupon and vaccination reference person partition to partition.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
--   * 0001 declared (municipality_code, person_id) REFERENCES vrs.person on the partitioned
--     PARENTS vrs.coupon and vrs.vaccination. Every check of such a key queries the partitioned
--     parent vrs.person (partition routing on every row): ~38.7 µs per inserted coupon against
--     ~4.2 µs for a key to a plain table, and bulk registration was dominated by it.
--   * municipality_code is both the partition key and part of the key, so a row of coupon_pX can
--     only ever reference a row of person_pX: the same integrity is had with one foreign key per
--     partition, coupon_pX (municipality_code, person_id) REFERENCES person_pX (municipality_code,
--     person_id), likewise vaccination_pX -> person_pX. A coupon (or vaccination) naming a person
--     of another municipality, or no person at all, is still refused with 23503.
--   * The parent-level keys are dropped; vrs.create_municipality_partitions now adds the
--     partition-level keys (named <table>_p<code>_person_fkey) when missing, after creating the
--     partitions, and this migration adds them to every municipality already provisioned.
--
-- Locks: dropping the parent keys locks every person, coupon and vaccination partition and every
-- cloned constraint and trigger (~15 lock-table entries per provisioned municipality, held until
-- COMMIT); validating the new keys would add ~11 more per municipality. Step 3 bounds the second
-- part; see there. Should even the DROP not fit (max_locks_per_transaction far below 256 with
-- every municipality provisioned), the transaction rolls back whole: raise the setting.

-- 1. The function, first, so that the loop below uses it. Same signature, SECURITY DEFINER,
--    search_path, plan_cache_mode and grants (none: REVOKE from PUBLIC) as in 0001.
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
    RETURN v_made;
END
$$;
REVOKE ALL ON FUNCTION vrs.create_municipality_partitions(char) FROM PUBLIC;

-- 2. Drop the parent-level keys (and with them their clones on every partition).
DO $drop$
DECLARE
    v_con record;
BEGIN
    FOR v_con IN
        SELECT k.conrelid::regclass AS tbl, k.conname
          FROM pg_constraint k
         WHERE k.contype = 'f'
           AND k.conrelid IN ('vrs.coupon'::regclass, 'vrs.vaccination'::regclass)
           AND k.confrelid = 'vrs.person'::regclass
           AND k.conparentid = 0
         ORDER BY 1, 2
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', v_con.tbl, v_con.conname);
    END LOOP;
END
$drop$;

-- 3. The partition-level keys of the municipalities provisioned before this migration.
--    Each validated key costs the migration a lock on every index of the two partitions (the
--    validation query plans them): ~11 lock-table entries per municipality, on top of the ~15 per
--    municipality the DROP above already holds. While the transaction stays within half of the
--    lock table (max_locks_per_transaction x max_connections / 2, the other half left to the
--    running sessions), a municipality gets validated keys from create_municipality_partitions;
--    beyond that, its keys are added NOT VALID, which needs no validation and no further lock.
--    A NOT VALID key is enforced exactly like a valid one for every INSERT, UPDATE and DELETE
--    from now on, and the rows already stored were checked by the parent key dropped above in this
--    same transaction (under ACCESS EXCLUSIVE on every partition, so no row slipped in between);
--    the flag only records that PostgreSQL itself has not re-checked them. The next
--    vrs.provision_municipality call for that code (idempotent; one municipality, one short
--    transaction, writes not blocked) validates them.
--    Measured with all 1,747 tenants provisioned (8,736 partitions), max_connections = 100:
--    the DROP holds ~26,200 lock-table entries, more than the nominal 256 x 100 = 25,600 but
--    within what PostgreSQL sizes the lock table for (256 x (100 connections + 22 auxiliary and
--    worker backends) = 31,232); the migration passes at max_locks_per_transaction 256 and 192,
--    fails (rolls back whole) at 128. Validating every key as well would need ~45,500 entries
--    (that variant failed at 192), so such a database gets NOT VALID keys here, validated one
--    municipality at a time by provisioning calls.
DO $fk$
DECLARE
    v_code   char(6);
    v_fk     record;
    v_budget bigint := current_setting('max_locks_per_transaction')::bigint
                       * current_setting('max_connections')::bigint / 2;
    v_used   bigint := (SELECT count(*) FROM pg_catalog.pg_locks l WHERE l.pid = pg_catalog.pg_backend_pid());
    v_n      integer := 0;
BEGIN
    FOR v_code IN SELECT m.code FROM vrs.municipality m ORDER BY m.code LOOP
        IF v_used + 16 <= v_budget THEN
            PERFORM vrs.create_municipality_partitions(v_code);
            v_n := v_n + 1;
            v_used := CASE WHEN v_n % 64 = 0
                           THEN (SELECT count(*) FROM pg_catalog.pg_locks l WHERE l.pid = pg_catalog.pg_backend_pid())
                           ELSE v_used + 16 END;
        ELSE
            FOR v_fk IN
                SELECT f.child || '_p' || v_code AS child, 'person_p' || v_code AS ref,
                       f.child || '_p' || v_code || '_person_fkey' AS name
                  FROM (VALUES ('coupon'), ('vaccination')) AS f(child)
                 ORDER BY f.child
            LOOP
                -- A missing partition (never the case after provisioning) is left to the function.
                CONTINUE WHEN to_regclass(format('vrs.%I', v_fk.child)) IS NULL
                           OR to_regclass(format('vrs.%I', v_fk.ref)) IS NULL;
                EXECUTE format('ALTER TABLE vrs.%I ADD CONSTRAINT %I FOREIGN KEY (municipality_code, person_id)'
                               ' REFERENCES vrs.%I (municipality_code, person_id) NOT VALID',
                               v_fk.child, v_fk.name, v_fk.ref);
            END LOOP;
        END IF;
    END LOOP;
END
$fk$;
