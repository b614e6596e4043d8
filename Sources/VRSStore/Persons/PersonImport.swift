import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSDomain

/// Registers a whole file of targets and coupons in the caller's transaction, set-based: `COPY`
/// into a staging table that lives until COMMIT, checks over the whole file, then a handful of
/// statements that insert, update and supersede. Nothing is visible to others before COMMIT,
/// and a failure anywhere (or a killed server) leaves nothing behind.
public struct PersonImport: Sendable {
    let keyRing: KeyRing
    let logger: Logger

    /// An importer sealing numbers with keys from `keyRing`.
    public init(keyRing: KeyRing, logger: Logger) {
        self.keyRing = keyRing
        self.logger = logger
    }

    /// Waits until no other import of `municipality` runs, then holds that until COMMIT: two files
    /// for one municipality never interleave, and so never deadlock on each other's rows.
    public func lock(_ municipality: MunicipalityCode, on connection: PostgresConnection) async throws {
        try await connection.perform(
            "SELECT pg_advisory_xact_lock(hashtext('vrs.person_import'), hashtext(\(municipality)::text))", logger: logger)
    }

    /// Creates the staging table and streams rows into it; returns the key version they were sealed with.
    public func stage(
        _ municipality: MunicipalityCode, on connection: PostgresConnection, rows: (PersonStaging) async throws -> Void
    ) async throws -> Int {
        let cipher = try await keyRing.activeCipher(for: municipality, on: connection, logger: logger)
        try await connection.query(
            """
            CREATE TEMP TABLE person_import_stage (
                line int NOT NULL, address_number text NOT NULL, sealed bytea NOT NULL, idx bytea NOT NULL,
                family_name text NOT NULL, given_name text NOT NULL, family_name_kana text NOT NULL, given_name_kana text NOT NULL,
                birth_date date NOT NULL, sex char(1) NOT NULL, moved_in_on date, coupon_number char(10) NOT NULL,
                coupon_kind smallint NOT NULL, previous_coupon_number char(10)
            ) ON COMMIT DROP
            """, logger: logger)
        try await connection.copyFrom(table: PersonStaging.table, columns: PersonStaging.columns, logger: logger) { writer in
            let staging = PersonStaging(cipher: cipher, writer: writer)
            try await rows(staging)
            try await staging.flush()
        }
        try await connection.query("ANALYZE person_import_stage", logger: logger)
        return cipher.keyVersion
    }

    /// Lines that repeat an earlier line's key, or contradict the ledger; at most `limit`, by line.
    public func conflicts(_ municipality: MunicipalityCode, limit: Int, on connection: PostgresConnection) async throws -> [(line: Int, column: PersonImportColumn, rule: ValidationRule)] {
        let rows = try await connection.query(
            """
            WITH s AS (SELECT * FROM person_import_stage),
            repeats AS (
                SELECT line, 'address_number' AS col, min(line) OVER (PARTITION BY address_number) AS first FROM s
                UNION ALL SELECT line, 'individual_number', min(line) OVER (PARTITION BY idx) FROM s
                UNION ALL SELECT line, 'coupon_number', min(line) OVER (PARTITION BY coupon_number) FROM s),
            found AS (
                SELECT line, col, first, NULL::text AS what FROM repeats WHERE line <> first
                UNION ALL
                SELECT s.line, 'address_number', 0, 'this address number was merged into another registration: correct that one instead'
                  FROM s JOIN vrs.person p ON p.municipality_code = \(municipality) AND p.address_number = s.address_number
                 WHERE p.merged_into IS NOT NULL
                UNION ALL
                SELECT s.line, 'individual_number', 0, 'this Individual Number is registered under another address number'
                  FROM s JOIN vrs.person p ON p.municipality_code = \(municipality) AND p.individual_number_index = s.idx
                 WHERE p.address_number <> s.address_number
                UNION ALL
                SELECT s.line, 'coupon_number', 0, 'this coupon number is registered to another person'
                  FROM s JOIN vrs.coupon c ON c.municipality_code = \(municipality) AND c.coupon_number = s.coupon_number
                  JOIN vrs.person p ON p.municipality_code = \(municipality) AND p.person_id = c.person_id
                 WHERE p.address_number <> s.address_number
                UNION ALL
                SELECT s.line, 'previous_coupon_number', 0, 'the previous coupon is registered to another person'
                  FROM s JOIN vrs.coupon c ON c.municipality_code = \(municipality) AND c.coupon_number = s.previous_coupon_number
                  JOIN vrs.person p ON p.municipality_code = \(municipality) AND p.person_id = c.person_id
                 WHERE p.address_number <> s.address_number)
            SELECT line, col, first, what FROM found ORDER BY line, col LIMIT \(limit)
            """, logger: logger)
        var result: [(Int, PersonImportColumn, ValidationRule)] = []
        for try await (line, column, first, what) in rows.decode((Int, String, Int, String?).self) {
            guard let column = PersonImportColumn(rawValue: column) else { continue }
            result.append((line, column, what.map { .conflict($0) } ?? .duplicate(ofLine: first)))
        }
        return result
    }

    /// Writes the staged file: new people inserted, changed people updated, new coupons issued,
    /// reissues superseding the coupon they name, pending tablet records linked.
    public func apply(_ municipality: MunicipalityCode, keyVersion: Int, on connection: PostgresConnection) async throws -> PersonImportCounts {
        func q(_ sql: PostgresQuery) async throws -> PostgresRowSequence { try await connection.query(sql, logger: logger) }
        func run(_ sql: PostgresQuery) async throws { try await connection.perform(sql, logger: logger) }
        try await connection.labelChanges("person.import", logger: logger)
        // One row per line: the person it is (existing or a new id) and what changes.
        try await run("""
            CREATE TEMP TABLE person_import_match ON COMMIT DROP AS
            SELECT s.*, coalesce(p.person_id, gen_random_uuid()) AS person_id, p.person_id IS NULL AS is_new,
                   p.person_id IS NOT NULL AND (p.individual_number_index, p.family_name, p.given_name, p.family_name_kana,
                       p.given_name_kana, p.birth_date, p.sex, p.moved_in_on)
                     IS DISTINCT FROM (s.idx, s.family_name, s.given_name, s.family_name_kana, s.given_name_kana,
                       s.birth_date, s.sex, coalesce(s.moved_in_on, p.moved_in_on)) AS changed,
                   c.coupon_id AS coupon_id, c.coupon_id IS NOT NULL AND c.kind <> s.coupon_kind AS kind_changed,
                   prev.coupon_id AS previous_coupon_id
              FROM person_import_stage s
              LEFT JOIN vrs.person p ON p.municipality_code = \(municipality) AND p.address_number = s.address_number
              LEFT JOIN vrs.coupon c ON c.municipality_code = \(municipality) AND c.coupon_number = s.coupon_number
              LEFT JOIN vrs.coupon prev ON prev.municipality_code = \(municipality) AND prev.coupon_number = s.previous_coupon_number
            """)
        try await run("""
            INSERT INTO vrs.person (municipality_code, person_id, address_number, individual_number_cipher, individual_number_index,
                key_version, family_name, given_name, family_name_kana, given_name_kana, birth_date, sex, moved_in_on)
            SELECT \(municipality), person_id, address_number, sealed, idx, \(keyVersion), family_name, given_name,
                   family_name_kana, given_name_kana, birth_date, sex, moved_in_on
              FROM person_import_match WHERE is_new
            """)
        try await run("""
            UPDATE vrs.person p
               SET individual_number_cipher = CASE WHEN p.individual_number_index = m.idx THEN p.individual_number_cipher ELSE m.sealed END,
                   key_version = CASE WHEN p.individual_number_index = m.idx THEN p.key_version ELSE \(keyVersion) END,
                   individual_number_index = m.idx, family_name = m.family_name, given_name = m.given_name,
                   family_name_kana = m.family_name_kana, given_name_kana = m.given_name_kana, birth_date = m.birth_date,
                   sex = m.sex, moved_in_on = coalesce(m.moved_in_on, p.moved_in_on), updated_at = now()
              FROM person_import_match m
             WHERE p.municipality_code = \(municipality) AND p.person_id = m.person_id AND m.changed
            """)
        try await run("""
            UPDATE vrs.coupon c SET kind = m.coupon_kind FROM person_import_match m
             WHERE c.municipality_code = \(municipality) AND c.coupon_id = m.coupon_id AND m.kind_changed
            """)
        let superseded = try await count(q("""
            WITH u AS (UPDATE vrs.coupon c SET status = 'superseded' FROM person_import_match m
                        WHERE c.municipality_code = \(municipality) AND c.coupon_id = m.previous_coupon_id
                          AND m.coupon_id IS NULL AND c.status = 'active' RETURNING 1)
            SELECT count(*)::int FROM u
            """))
        let issued = try await count(q("""
            WITH i AS (INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind, supersedes_coupon_id, issued_on)
                       SELECT \(municipality), person_id, coupon_number, coupon_kind, previous_coupon_id, current_date
                         FROM person_import_match WHERE coupon_id IS NULL RETURNING 1)
            SELECT count(*)::int FROM i
            """))
        let linked = try await count(q("SELECT vrs.link_pending_vaccinations(\(municipality))"))
        let rows = try await q("""
            SELECT count(*) FILTER (WHERE is_new)::int,
                   count(*) FILTER (WHERE NOT is_new AND (changed OR kind_changed OR coupon_id IS NULL))::int,
                   count(*) FILTER (WHERE NOT is_new AND NOT changed AND NOT kind_changed AND coupon_id IS NOT NULL)::int
              FROM person_import_match
            """)
        for try await (inserted, updated, unchanged) in rows.decode((Int, Int, Int).self) {
            return PersonImportCounts(inserted: inserted, updated: updated, unchanged: unchanged,
                                      couponsIssued: issued, couponsSuperseded: superseded, pendingLinked: linked)
        }
        return PersonImportCounts(inserted: 0, updated: 0, unchanged: 0, couponsIssued: issued, couponsSuperseded: superseded, pendingLinked: linked)
    }

    private func count(_ rows: PostgresRowSequence) async throws -> Int {
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }
}
