-- vrs bootstrap: cluster roles, the vrs schema and the migration ledger.
--
-- Run by the migration runner before the migrations, every time, as a SUPERUSER, in one
-- transaction, through the simple query protocol. Idempotent: roles are created when missing and
-- their attributes are (re)asserted on every run; nothing here drops or rewrites data.
--
-- Roles
--   vrs_owner      NOLOGIN. Owns every object of the schema. Migrations run as this role.
--   vrs_app        LOGIN, owns nothing, NOINHERIT: it holds no privilege by itself and only reaches
--                  data after `SET LOCAL ROLE` to one of the caller roles below. Its password is
--                  set by the runner from configuration, never here.
--   vrs_municipal  caller role of municipal staff requests (tenant bound by vrs.municipality)
--   vrs_municipal_admin  caller role of a municipality's admins: a member of vrs_municipal (all a
--                  staff member may) plus the management of its own staff, sessions and tablets
--   vrs_operator   caller role of the central operator (no tenant bound)
--   vrs_device     caller role of vaccination-site tablets
--   vrs_auth       caller role of authentication before the caller is known (log-in, session and
--                  device-token lookup, log-out, password change)
--   vrs_worker     caller role of the service's background work (claiming and purging transfer
--                  batches): no table, no municipality, three functions
--   vrs_viewer     caller role of prefectural and national viewers: no table, the statistics door only

SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('vrs.bootstrap'));

DO $bootstrap$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['vrs_owner', 'vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth',
                               'vrs_worker', 'vrs_viewer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$bootstrap$;

-- Attributes are asserted on every run, so a role edited by hand is put back.
ALTER ROLE vrs_owner     NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT;
ALTER ROLE vrs_app       LOGIN   NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT;
ALTER ROLE vrs_municipal NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
ALTER ROLE vrs_municipal_admin NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT;
ALTER ROLE vrs_operator  NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
ALTER ROLE vrs_device    NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
ALTER ROLE vrs_auth      NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
ALTER ROLE vrs_worker    NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
ALTER ROLE vrs_viewer    NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;

-- Generic plans of statements on the partitioned tables lock every partition: the pool's
-- connections always plan custom.
ALTER ROLE vrs_app SET plan_cache_mode = force_custom_plan;

-- vrs_app may SET ROLE to the caller roles (membership; NOINHERIT keeps their rights away from
-- vrs_app itself).
DO $bootstrap$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker',
                             'vrs_viewer'] LOOP
        IF NOT pg_catalog.pg_has_role('vrs_app', r, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO vrs_app', r);
        END IF;
    END LOOP;
    -- An admin may do all a staff member may (inherited), plus what is granted to it alone.
    IF NOT pg_catalog.pg_has_role('vrs_municipal_admin', 'vrs_municipal', 'MEMBER') THEN
        GRANT vrs_municipal TO vrs_municipal_admin;
    END IF;
END
$bootstrap$;

-- The schema and the migration ledger.
CREATE SCHEMA IF NOT EXISTS vrs AUTHORIZATION vrs_owner;
ALTER SCHEMA vrs OWNER TO vrs_owner;
REVOKE ALL ON SCHEMA vrs FROM PUBLIC;

CREATE TABLE IF NOT EXISTS vrs.schema_migration (
    version    int PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE vrs.schema_migration OWNER TO vrs_owner;
REVOKE ALL ON vrs.schema_migration FROM PUBLIC;
-- Readiness probes compare the schema version with the build's, under the staff and operator roles.
GRANT SELECT ON vrs.schema_migration TO vrs_municipal, vrs_operator;
-- The device role holds no table privilege (0009); a grant made by an earlier bootstrap is taken back.
REVOKE ALL ON vrs.schema_migration FROM vrs_device;

-- Functions created by vrs_owner are not executable by PUBLIC unless granted explicitly.
ALTER DEFAULT PRIVILEGES FOR ROLE vrs_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Nobody but superusers uses schema public (PostgreSQL 15 already withholds CREATE; take USAGE too).
REVOKE ALL ON SCHEMA public FROM PUBLIC;
