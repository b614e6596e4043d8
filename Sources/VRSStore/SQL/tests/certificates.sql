-- certificates.sql: the certificate issuer's keys, the certificates issued and their revocation
-- (migration 0014). Fixtures: 131016 (A) and 011002 (B), provisioned here; one person in each.
--
-- Proves that:
--   * no role but the owner holds any privilege on vrs.issuer_key or vrs.certificate_revocation,
--     and a caller's SELECT on issuer_key is refused (42501): the sealed private half is reached
--     through issuer_signing_key only;
--   * issuer_public_keys() and issuer_revocations() are executable by vrs_app (the public listener
--     serves them without a caller) and by no caller role; they answer public JWKs only, active
--     first, retired ones too, with crlVersion once a key has a revocation;
--   * issuer_signing_key('shc') is executable by vrs_municipal (and so its admins) only; with no
--     active key it raises VRS60;
--   * issuer_key refuses a JWK holding a private member ('d'), a kid that is not a thumbprint, a
--     JWK whose kid differs from the row's, and a second active key of one format;
--   * staff insert certificates of their own municipality only, unrevoked and as themselves, for
--     a person of their own municipality (the partition's key); they read their own rows only and
--     cannot update or delete them; the operator and tablets reach none;
--   * revoke_certificate is the admins' alone (staff: 42501); it marks the row and appends the rid
--     to the key's list once (again: nothing new); another municipality's certificate answers no row.
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(54);

\ir _helpers.psql

SELECT table_privs_are('vrs', t, r, ARRAY[]::text[], r || ' has no privilege on vrs.' || t)
  FROM unnest(ARRAY['vrs_app', 'vrs_municipal', 'vrs_municipal_admin', 'vrs_operator', 'vrs_device', 'vrs_auth', 'vrs_worker']) r,
       unnest(ARRAY['issuer_key', 'certificate_revocation']) t;
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', 'SELECT * FROM vrs.issuer_key')$t$,
    '42501', 'permission denied for table issuer_key', 'staff SELECT on vrs.issuer_key: permission denied');
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_operator', NULL, 'SELECT * FROM vrs.issuer_key')$t$,
    '42501', 'permission denied for table issuer_key', 'operator SELECT on vrs.issuer_key: permission denied');

-- No key yet: the door says what to do.
SELECT throws_ok($t$SELECT pg_temp.exec_as('vrs_municipal', '131016', 'SELECT * FROM vrs.issuer_signing_key(''shc'')')$t$,
    'VRS60', 'no active shc issuer key: run vrs keys init-issuer', 'no active key: VRS60 names the command');

-- Two keys, one retired (as the owner, like `vrs keys init-issuer --rotate`).
INSERT INTO vrs.issuer_key (kid, format, public_jwk, sealed_key, master_key_id, created_at, retired_at) VALUES
    (repeat('o', 43), 'shc', jsonb_build_object('kid', repeat('o', 43), 'kty', 'EC', 'crv', 'P-256', 'x', 'x1', 'y', 'y1'),
     '\x01', 'm1', now() - interval '1 day', now()),
    (repeat('n', 43), 'shc', jsonb_build_object('kid', repeat('n', 43), 'kty', 'EC', 'crv', 'P-256', 'x', 'x2', 'y', 'y2'),
     '\x02', 'm1', now(), NULL);

SELECT is(pg_temp.value_as('vrs_app', NULL, $$SELECT string_agg(kid, ',') FROM vrs.issuer_public_keys()$$),
    repeat('n', 43) || ',' || repeat('o', 43), 'vrs_app reads every public key, the active one first');
SELECT is(pg_temp.value_as('vrs_app', NULL, $$SELECT count(*) FROM vrs.issuer_public_keys() WHERE public_jwk ? 'd'$$),
    '0', 'no published JWK has a private member');
SELECT is(pg_temp.value_as(r, CASE WHEN r LIKE 'vrs_municipal%' THEN '131016' END, 'SELECT count(*) FROM vrs.issuer_public_keys()'),
    'error 42501: permission denied for function issuer_public_keys', r || ' cannot execute issuer_public_keys')
  FROM unnest(ARRAY['vrs_municipal', 'vrs_operator', 'vrs_device']) r;
SELECT is(pg_temp.value_as('vrs_municipal', '131016', $$SELECT kid || '/' || encode(sealed_key, 'hex') FROM vrs.issuer_signing_key('shc')$$),
    repeat('n', 43) || '/02', 'staff get the active key''s kid and sealed half');
SELECT is(pg_temp.value_as('vrs_municipal_admin', '131016', $$SELECT kid FROM vrs.issuer_signing_key('shc')$$),
    repeat('n', 43), 'admins too (they may do what staff do)');
SELECT is(pg_temp.value_as(r, NULL, $$SELECT kid FROM vrs.issuer_signing_key('shc')$$),
    'error 42501: permission denied for function issuer_signing_key', r || ' cannot execute issuer_signing_key')
  FROM unnest(ARRAY['vrs_operator', 'vrs_device', 'vrs_app']) r;

SELECT throws_ok($$INSERT INTO vrs.issuer_key (kid, format, public_jwk, sealed_key, master_key_id) VALUES
    (repeat('d', 43), 'shc', jsonb_build_object('kid', repeat('d', 43), 'kty', 'EC', 'crv', 'P-256', 'd', 'secret'), '\x03', 'm1')$$,
    '23514', NULL, 'a JWK with a private member is refused');
SELECT throws_ok($$INSERT INTO vrs.issuer_key (kid, format, public_jwk, sealed_key, master_key_id, retired_at) VALUES
    ('not-a-thumbprint', 'shc', jsonb_build_object('kid', 'not-a-thumbprint', 'kty', 'EC', 'crv', 'P-256'), '\x03', 'm1', now())$$,
    '23514', NULL, 'a kid that is not a base64url SHA-256 thumbprint is refused');
SELECT throws_ok($$INSERT INTO vrs.issuer_key (kid, format, public_jwk, sealed_key, master_key_id, retired_at) VALUES
    (repeat('e', 43), 'shc', jsonb_build_object('kid', repeat('f', 43), 'kty', 'EC', 'crv', 'P-256'), '\x03', 'm1', now())$$,
    '23514', NULL, 'a JWK whose kid is not the row''s is refused');
SELECT throws_ok($$INSERT INTO vrs.issuer_key (kid, format, public_jwk, sealed_key, master_key_id) VALUES
    (repeat('g', 43), 'shc', jsonb_build_object('kid', repeat('g', 43), 'kty', 'EC', 'crv', 'P-256'), '\x03', 'm1')$$,
    '23505', NULL, 'a second active key of one format is refused');

-- ---------------------------------------------------------------------------------------------
-- Certificates and revocation.
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.value_as('vrs_operator', NULL,
    $q$SELECT vrs.provision_municipality('131016', '\x0a01', '\x0a02', 'master-1')
          AND vrs.provision_municipality('011002', '\x0b01', '\x0b02', 'master-1')$q$), 'true', 'fixture: provision A and B');
SELECT is((SELECT count(*) FROM pg_class WHERE relname IN ('certificate_p131016', 'certificate_p011002')), 2::bigint,
    'provisioning made each municipality its certificate partition');
INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher,
    individual_number_index, key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex)
VALUES ('131016', 'aaaaaaaa-0000-4000-8000-0000000000c1', 'A-C1', '\xa1', sha256('A-C1'), 1, '千代田', '太郎', 'チヨダ', 'タロウ', '1950-04-01', 'M'),
       ('011002', 'bbbbbbbb-0000-4000-8000-0000000000c1', 'B-C1', '\xb1', sha256('B-C1'), 1, '札幌', '花子', 'サッポロ', 'ハナコ', '1960-05-01', 'F');
SELECT set_config('vrs.actor_id', 'staff.a', true);
CREATE TEMP TABLE cert_sql (name text, sql text);
INSERT INTO cert_sql VALUES
    ('own', $$INSERT INTO vrs.certificate (municipality_code, certificate_id, person_id, format, kid, revocation_id, dose_count, issued_by)
              VALUES ('131016', 'cccccccc-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-0000000000c1', 'shc', '$$ || repeat('n', 43) || $$', 'rid-one', 2, 'staff.a')$$),
    ('other_town', $$INSERT INTO vrs.certificate (municipality_code, certificate_id, person_id, format, kid, revocation_id, dose_count, issued_by)
              VALUES ('011002', 'cccccccc-0000-4000-8000-000000000002', 'bbbbbbbb-0000-4000-8000-0000000000c1', 'shc', 'k', 'rid-two', 1, 'staff.a')$$),
    ('other_person', $$INSERT INTO vrs.certificate (municipality_code, certificate_id, person_id, format, kid, revocation_id, dose_count, issued_by)
              VALUES ('131016', 'cccccccc-0000-4000-8000-000000000003', 'bbbbbbbb-0000-4000-8000-0000000000c1', 'shc', 'k', 'rid-three', 1, 'staff.a')$$),
    ('someone_else', $$INSERT INTO vrs.certificate (municipality_code, certificate_id, person_id, format, kid, revocation_id, dose_count, issued_by)
              VALUES ('131016', 'cccccccc-0000-4000-8000-000000000004', 'aaaaaaaa-0000-4000-8000-0000000000c1', 'shc', 'k', 'rid-four', 1, 'staff.b')$$),
    ('pre_revoked', $$INSERT INTO vrs.certificate (municipality_code, certificate_id, person_id, format, kid, revocation_id, dose_count, issued_by, revoked_at, revoked_by)
              VALUES ('131016', 'cccccccc-0000-4000-8000-000000000005', 'aaaaaaaa-0000-4000-8000-0000000000c1', 'shc', 'k', 'rid-five', 1, 'staff.a', now(), 'staff.a')$$);

SELECT is(pg_temp.rows_as('vrs_municipal', '131016', (SELECT sql FROM cert_sql WHERE name = 'own')), '1',
    'staff insert a certificate of their own resident, as themselves');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', (SELECT sql FROM cert_sql WHERE name = 'other_town')),
    'error 42501: new row violates row-level security policy for table "certificate"', 'staff cannot insert into another municipality');
SELECT matches(pg_temp.rows_as('vrs_municipal', '131016', (SELECT sql FROM cert_sql WHERE name = 'other_person')),
    '^error 23503: ', 'staff cannot certify a person of another municipality (the partition''s key)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', (SELECT sql FROM cert_sql WHERE name = 'someone_else')),
    'error 42501: new row violates row-level security policy for table "certificate"', 'staff cannot insert in someone else''s name');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', (SELECT sql FROM cert_sql WHERE name = 'pre_revoked')),
    'error 42501: new row violates row-level security policy for table "certificate"', 'staff cannot insert a revoked certificate');
SELECT is(pg_temp.value_as('vrs_municipal', '011002', 'SELECT count(*) FROM vrs.certificate'), '0',
    'another municipality''s staff see none of A''s certificates');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', $$UPDATE vrs.certificate SET revoked_at = now(), revoked_by = 'staff.a'$$),
    'error 42501: permission denied for table certificate', 'staff cannot update a certificate (revocation is the door''s)');
SELECT is(pg_temp.rows_as('vrs_municipal', '131016', 'DELETE FROM vrs.certificate'),
    'error 42501: permission denied for table certificate', 'staff cannot delete a certificate');
SELECT is(pg_temp.rows_as(r, NULL, 'SELECT * FROM vrs.certificate'),
    'error 42501: permission denied for table certificate', r || ' reaches no certificate')
  FROM unnest(ARRAY['vrs_operator', 'vrs_device', 'vrs_app']) r;

SELECT is(pg_temp.value_as('vrs_municipal', '131016', $$SELECT rid FROM vrs.revoke_certificate('cccccccc-0000-4000-8000-000000000001')$$),
    'error 42501: permission denied for function revoke_certificate', 'staff cannot revoke');
SELECT set_config('vrs.actor_id', 'admin.a', true);
SELECT is(pg_temp.rows_as('vrs_municipal_admin', '011002', $$SELECT rid FROM vrs.revoke_certificate('cccccccc-0000-4000-8000-000000000001')$$),
    '0', 'another municipality''s admin: no row, nothing revoked');
SELECT is(pg_temp.value_as('vrs_municipal_admin', '131016', $$SELECT rid || '/' || newly FROM vrs.revoke_certificate('cccccccc-0000-4000-8000-000000000001')$$),
    'rid-one/true', 'the admin revokes it');
SELECT is(pg_temp.value_as('vrs_municipal_admin', '131016', $$SELECT rid || '/' || newly FROM vrs.revoke_certificate('cccccccc-0000-4000-8000-000000000001')$$),
    'rid-one/false', 'revoking again changes nothing');
SELECT is((SELECT revoked_by FROM vrs.certificate WHERE certificate_id = 'cccccccc-0000-4000-8000-000000000001'), 'admin.a',
    'the row names who revoked it');
SELECT is(pg_temp.value_as('vrs_app', NULL, $$SELECT string_agg(rid, ',') FROM vrs.issuer_revocations('$$ || repeat('n', 43) || $$')$$),
    'rid-one', 'the key''s revocation list holds the rid once');
SELECT is(pg_temp.value_as('vrs_app', NULL, $$SELECT public_jwk ->> 'crlVersion' FROM vrs.issuer_public_keys() WHERE kid = '$$ || repeat('n', 43) || $$'$$),
    '1', 'the JWK says the list has changed (crlVersion)');
SELECT is(pg_temp.value_as('vrs_app', NULL, $$SELECT count(*) FROM vrs.issuer_public_keys() WHERE public_jwk ? 'crlVersion'$$),
    '1', 'a key without revocations has no crlVersion');
SELECT is(pg_temp.value_as(r, CASE WHEN r LIKE 'vrs_municipal%' THEN '131016' END, $$SELECT count(*) FROM vrs.issuer_revocations('x')$$),
    'error 42501: permission denied for function issuer_revocations', r || ' cannot execute issuer_revocations')
  FROM unnest(ARRAY['vrs_municipal', 'vrs_operator']) r;

SELECT * FROM finish();
ROLLBACK;
