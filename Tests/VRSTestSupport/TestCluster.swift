import Foundation
import Logging
import PostgresNIO
import VRSStore

/// The throwaway PostgreSQL of a test run: one cluster per test process (or the server named by
/// `VRS_TEST_DATABASE_URL`, a superuser URL), one migrated template database, and a fresh clone of
/// it for every test that asks.
public actor TestCluster {
    /// The cluster of this test process.
    public static let shared = TestCluster()

    struct Environment: Sendable {
        let admin: DatabaseURL
        let appPassword: String?
        let hasPgTAP: Bool
    }

    private var environment: Task<Environment, any Error>?
    static let template = "vrs_template"
    let logger: Logger = {
        var logger = Logger(label: "vrs.test")
        logger.logLevel = ProcessInfo.processInfo.environment["VRS_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }()

    /// A new database cloned from the migrated template; drop it with `TestDatabase.drop()`.
    public func makeDatabase() async throws -> TestDatabase {
        let environment = try await prepared()
        let name = "vrs_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let logger = self.logger
        try await Self.withClient(environment.admin, logger: logger) { client in
            // The template must have no open session; a pool that just closed may linger for a moment.
            for attempt in 1...50 {
                do {
                    try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(Self.template)"), logger: logger)
                    return
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 50 {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        var app = environment.admin.with(database: String(name))
        app = app.with(username: "vrs_app", password: environment.appPassword)
        return TestDatabase(
            name: String(name), adminURL: environment.admin.with(database: String(name)), appURL: app,
            hasPgTAP: environment.hasPgTAP, maintenance: environment.admin, logger: logger)
    }

    private func prepared() async throws -> Environment {
        if let environment { return try await environment.value }
        let task = Task { try await Self.prepare(logger: logger) }
        environment = task
        return try await task.value
    }

    private static func prepare(logger: Logger) async throws -> Environment {
        let admin: DatabaseURL
        let appPassword: String?
        if let url = ProcessInfo.processInfo.environment["VRS_TEST_DATABASE_URL"], !url.isEmpty {
            admin = try DatabaseURL(url).with(database: "postgres")
            appPassword = ProcessInfo.processInfo.environment["VRS_TEST_APP_PASSWORD"] ?? "vrs-test-password"
        } else {
            let cluster = try ThrowawayCluster.start(logger: logger)
            admin = cluster.adminURL(database: "postgres")
            appPassword = nil
        }
        let hasPgTAP = try await withClient(admin, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(template)"), logger: logger)
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(template)"), logger: logger)
            let rows = try await client.query("SELECT count(*)::int FROM pg_available_extensions WHERE name = 'pgtap'", logger: logger)
            for try await n in rows.decode(Int.self) { return n > 0 }
            return false
        }
        try await withClient(admin.with(database: template), logger: logger) { client in
            try await Migrator(admin: client, logger: logger).migrate(appPassword: appPassword)
            if hasPgTAP { try await client.query("CREATE EXTENSION IF NOT EXISTS pgtap", logger: logger) }
        }
        return Environment(admin: admin, appPassword: appPassword, hasPgTAP: hasPgTAP)
    }

    /// Runs `body` with a pool that is shut down (all connections closed) before this returns.
    static func withClient<T: Sendable>(_ url: DatabaseURL, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        var configuration = try url.clientConfiguration()
        configuration.options.minimumConnections = 0
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withRunningClients([client]) { try await body(client) }
    }
}
