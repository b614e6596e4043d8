import Crypto
import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// Applies `sql/bootstrap.sql` and the numbered migrations in `sql/migrations/`, then loads the
/// official municipality list.
///
/// Runs over an administrative connection (a superuser, or a role that is a member of `vrs_owner`
/// and may create roles); every migration runs in its own transaction as `vrs_owner`, never as the
/// role that serves requests.
public struct Migrator: Sendable {
    /// One numbered file under `sql/migrations/`.
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        let sql: String
        var checksum: String { SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined() }
    }

    let admin: PostgresClient
    let logger: Logger

    /// A migrator over an administrative pool (which the caller runs).
    public init(admin: PostgresClient, logger: Logger) {
        self.admin = admin
        self.logger = logger
    }

    /// The migrations shipped with this build, in order.
    public static let bundled: [Migration] = {
        let directory = SQLFiles.directory + "/migrations"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".sql") }.sorted()
        return names.compactMap { file in
            guard let version = Int(file.prefix(while: \.isNumber)),
                  let sql = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            else { return nil }
            return Migration(version: version, name: String(file.dropLast(4)), sql: sql)
        }
    }()

    /// The schema version this build expects.
    public static var latestVersion: Int { bundled.last?.version ?? 0 }

    /// Brings the database up to date; returns the names of the migrations it applied (empty when current).
    @discardableResult
    public func migrate(appPassword: String? = nil) async throws -> [String] {
        try await admin.withConnection { connection in
            try await connection.runScript(SQLFiles.read("bootstrap.sql"), prefix: ["BEGIN"], suffix: ["COMMIT"], logger: logger)
            if let appPassword {
                // ALTER ROLE takes no bind parameters; the literal is quoted, never logged.
                let quoted = "'" + appPassword.replacingOccurrences(of: "'", with: "''") + "'"
                try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE vrs_app PASSWORD \(quoted)"), logger: logger)
            }
        }
        var applied: [String] = []
        let recorded = try await recordedChecksums()
        for migration in Self.bundled {
            if let checksum = recorded[migration.version] {
                guard checksum == migration.checksum else {
                    throw ConfigurationError("migration \(migration.name) was changed after it was applied; add a new migration instead")
                }
                continue
            }
            try await apply(migration)
            applied.append(migration.name)
        }
        try await loadMunicipalityDirectory()
        try await secureExistingPartitions()
        try await countExistingDoses()
        return applied
    }

    /// Builds the dose tally (0015) of every municipality provisioned before the tally existed,
    /// one municipality per transaction: each rebuild locks that municipality's partitions only.
    /// Idempotent: a no-op once every municipality has its tally.
    private func countExistingDoses() async throws {
        let rows = try await admin.query(
            """
            SELECT m.code::text FROM vrs.municipality m
            WHERE NOT EXISTS (SELECT 1 FROM vrs.dose_tally_built b WHERE b.municipality_code = m.code)
            ORDER BY 1
            """,
            logger: logger)
        var codes: [String] = []
        for try await code in rows.decode(String.self) { codes.append(code) }
        for code in codes {
            try await admin.ownerTransaction(logger: logger) { connection in
                try await connection.perform("SELECT vrs.rebuild_dose_tally(\(code)::char(6))", logger: logger)
            }
        }
        if !codes.isEmpty { logger.info("dose tallies built", metadata: ["municipalities": "\(codes.count)"]) }
    }

    /// Brings every provisioned municipality's partitions up to the schema, one municipality per
    /// transaction (each CREATE or ALTER TABLE holds an ACCESS EXCLUSIVE lock until commit, and all
    /// municipalities at once would not fit the lock table): partitions made before migration 0006
    /// get their own row-level security, and a partitioned table a later migration adds (0012's
    /// record_change, 0013's transfer_batch_line) gets its partition for the municipalities that
    /// existed before it. Idempotent: a no-op once done.
    private func secureExistingPartitions() async throws {
        let rows = try await admin.query(
            """
            WITH parent AS (
                SELECT c.relname FROM pg_partitioned_table pt
                JOIN pg_class c ON c.oid = pt.partrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'vrs'
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
                WHERE NOT c.relispartition AND pt.partstrat = 'l' AND pt.partnatts = 1 AND a.attname = 'municipality_code')
            SELECT m.code::text FROM vrs.municipality m
            WHERE EXISTS (
                SELECT 1 FROM parent p
                LEFT JOIN pg_class c ON c.relname = p.relname || '_p' || m.code
                    AND c.relnamespace = 'vrs'::regnamespace
                WHERE c.oid IS NULL OR NOT (c.relrowsecurity AND c.relforcerowsecurity))
            ORDER BY 1
            """,
            logger: logger)
        var codes: [String] = []
        for try await code in rows.decode(String.self) { codes.append(code) }
        var secured = 0
        for code in codes {
            do {
                try await admin.ownerTransaction(logger: logger) { connection in
                    try await connection.perform("SELECT vrs.create_municipality_partitions(\(code)::char(6))", logger: logger)
                }
                secured += 1
            } catch {
                // A partition the owner cannot alter was made behind its back (e.g. recreated by a
                // superuser): say so and go on, so that `vrs audit verify` can still report on it.
                logger.warning("a partition could not be secured; it was not created by vrs", metadata: [
                    "municipality": "\(code)", "sqlstate": "\((error as? PSQLError)?.serverInfo?[.sqlState] ?? "-")"])
            }
        }
        if secured > 0 { logger.info("partitions secured", metadata: ["municipalities": "\(secured)"]) }
    }

    /// The version the database is at (0 before the first migration).
    public func currentVersion() async throws -> Int {
        try await recordedChecksums().keys.max() ?? 0
    }

    private func recordedChecksums() async throws -> [Int: String] {
        let exists = try await admin.query("SELECT to_regclass('vrs.schema_migration') IS NOT NULL", logger: logger)
        for try await flag in exists.decode(Bool.self) where !flag { return [:] }
        var result: [Int: String] = [:]
        for try await (version, checksum) in try await admin.query("SELECT version, checksum FROM vrs.schema_migration", logger: logger)
            .decode((Int, String).self) {
            result[version] = checksum
        }
        return result
    }

    private func apply(_ migration: Migration) async throws {
        logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
        try await admin.withConnection { connection in
            // One transaction per file, as the owner; committed below together with its record.
            try await connection.runScript(migration.sql, prefix: ["BEGIN", "SET LOCAL ROLE vrs_owner"], suffix: [], logger: logger)
            do {
                try await connection.query(
                    "INSERT INTO vrs.schema_migration (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Upserts the official list shipped with the product, as `vrs_owner`, in one statement.
    private func loadMunicipalityDirectory() async throws {
        let entries = MunicipalityDirectory.official.entries
        try await admin.withTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL ROLE vrs_owner", logger: logger)
            try await connection.query(
                """
                INSERT INTO vrs.municipality_directory (code, prefecture, name, name_kana, kind)
                SELECT * FROM unnest(\(entries.map(\.code.rawValue))::text[], \(entries.map(\.prefecture))::text[],
                                     \(entries.map(\.name))::text[], \(entries.map(\.nameKana))::text[], \(entries.map(\.kind.rawValue))::text[])
                ON CONFLICT (code) DO UPDATE SET prefecture = excluded.prefecture, name = excluded.name,
                    name_kana = excluded.name_kana, kind = excluded.kind
                WHERE (municipality_directory.prefecture, municipality_directory.name, municipality_directory.name_kana, municipality_directory.kind)
                      IS DISTINCT FROM (excluded.prefecture, excluded.name, excluded.name_kana, excluded.kind)
                """,
                logger: logger)
        }
    }
}

/// The SQL shipped as a resource of this module (`sql/` at the top of the repository links here).
public enum SQLFiles {
    /// The directory holding bootstrap.sql, migrations/ and tests/.
    public static var directory: String { Bundle.module.resourcePath! + "/SQL" }

    static func read(_ name: String) throws -> String {
        try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
    }
}

extension PostgresConnection {
    /// Runs a multi-statement script statement by statement between `prefix` and `suffix`
    /// (transaction control); on failure rolls back and throws the server's message, which is safe
    /// to show because scripts hold no personal data.
    func runScript(_ script: String, prefix: [String], suffix: [String], logger: Logger) async throws {
        var statement = ""
        do {
            for sql in prefix + SQLScript.statements(script) + suffix {
                statement = sql
                try await query(PostgresQuery(unsafeSQL: sql), logger: logger)
            }
        } catch {
            _ = try? await query("ROLLBACK", logger: logger)
            throw ConfigurationError("SQL failed: \(String(reflecting: error))\nin statement: \(statement.prefix(300))")
        }
    }
}
