import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import VRSCrypto
import VRSStore

/// Everything a subcommand needs to reach the store, set up from `StoreOptions` and the environment.
///
/// Environment: `VRS_DATABASE_URL` (application role), `VRS_ADMIN_DATABASE_URL` (migrations and
/// inspection), `VRS_APP_PASSWORD` (set on the application role by `vrs migrate`),
/// `VRS_MASTER_KEY` / `VRS_MASTER_KEY_FILE`, `VRS_AUDIT_CHECKPOINT_FILE` / `VRS_AUDIT_CHECKPOINT_SECONDS`.
struct Runtime {
    let logger: Logger
    let embedded: EmbeddedCluster?
    let appURL: DatabaseURL
    let adminURL: DatabaseURL?
    let masterKeyPath: String?
    let environment: [String: String]

    init(_ options: StoreOptions, label: String = "vrs") throws {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
        self.logger = logger
        environment = ProcessInfo.processInfo.environment
        if let url = environment["VRS_DATABASE_URL"], !url.isEmpty {
            embedded = nil
            appURL = try DatabaseURL(url)
            adminURL = try environment["VRS_ADMIN_DATABASE_URL"].flatMap { $0.isEmpty ? nil : try DatabaseURL($0) }
            masterKeyPath = environment["VRS_MASTER_KEY_FILE"]
        } else {
            let cluster = EmbeddedCluster(directory: options.dataDirectory, logger: logger)
            embedded = cluster
            appURL = cluster.appURL()
            adminURL = cluster.adminURL()
            masterKeyPath = environment["VRS_MASTER_KEY_FILE"] ?? cluster.directory + "/master.key"
        }
    }

    /// Reads the master key; the embedded default creates one on first use.
    func masterKey() throws -> MasterKey {
        if embedded != nil, environment["VRS_MASTER_KEY"] == nil, let path = masterKeyPath {
            return try MasterKeyFile(path: path).ensure()
        }
        return try MasterKey.load(path: masterKeyPath, environment: environment)
    }

    /// The audit checkpoint file: `VRS_AUDIT_CHECKPOINT_FILE`, else DATA-DIR/audit-checkpoints.jsonl
    /// for the embedded cluster; nil for an external database without one (nothing to anchor to).
    var auditCheckpointPath: String? {
        if let path = environment["VRS_AUDIT_CHECKPOINT_FILE"], !path.isEmpty { return path }
        return embedded.map { $0.directory + "/audit-checkpoints.jsonl" }
    }

    /// Seconds between the server's audit checkpoints: `VRS_AUDIT_CHECKPOINT_SECONDS`, default 300.
    func auditCheckpointInterval() throws -> Duration {
        guard let text = environment["VRS_AUDIT_CHECKPOINT_SECONDS"], !text.isEmpty else { return .seconds(300) }
        guard let seconds = Int(text), seconds > 0 else { throw ConfigurationError("VRS_AUDIT_CHECKPOINT_SECONDS must be a positive number of seconds, not \(text.debugDescription)") }
        return .seconds(seconds)
    }

    /// Starts the embedded cluster if needed (stopping it afterwards only if this call started it),
    /// migrates it, and runs `body` with the application pool and, when known, the admin pool.
    /// `admin: false` (serve against an external database) opens no administrative connection at
    /// all: a compromised server process then holds no owner or superuser credentials in use.
    func withStore<T: Sendable>(migrate: Bool = true, admin wantsAdmin: Bool = true, _ body: (Database, PostgresClient?) async throws -> T) async throws -> T {
        let started = try embedded?.start() ?? false
        do {
            if let embedded { try await ensureDatabase(embedded) }
            let result = try await withClients(admin: wantsAdmin || embedded != nil) { database, admin in
                if migrate, embedded != nil, let admin {
                    let applied = try await Migrator(admin: admin, logger: logger).migrate(appPassword: environment["VRS_APP_PASSWORD"])
                    if !applied.isEmpty { logger.info("migrated", metadata: ["applied": "\(applied.joined(separator: ", "))"]) }
                }
                return try await body(database, admin)
            }
            if started { try embedded?.stop() }
            return result
        } catch {
            if started { try? embedded?.stop() }
            throw error
        }
    }

    /// Runs the pools as child tasks for the lifetime of `body`.
    func withClients<T: Sendable>(admin wantsAdmin: Bool = true, _ body: (Database, PostgresClient?) async throws -> T) async throws -> T {
        let app = PostgresClient(configuration: try appURL.clientConfiguration(), backgroundLogger: logger)
        let admin = try (wantsAdmin ? adminURL : nil).map { PostgresClient(configuration: try $0.clientConfiguration(), backgroundLogger: logger) }
        return try await withRunningClients([app] + (admin.map { [$0] } ?? [])) {
            try await body(Database(client: app, logger: logger), admin)
        }
    }

    /// Creates the `vrs` database in a new embedded cluster.
    private func ensureDatabase(_ cluster: EmbeddedCluster) async throws {
        let client = PostgresClient(configuration: try cluster.adminURL(database: "postgres").clientConfiguration(), backgroundLogger: logger)
        try await withRunningClients([client]) {
            let rows = try await client.query("SELECT 1 FROM pg_database WHERE datname = 'vrs'", logger: logger)
            var exists = false
            for try await _ in rows { exists = true }
            if !exists { try await client.query("CREATE DATABASE vrs", logger: logger) }
        }
    }
}

/// The administrative pool, required where only the owner may write (keys, operator accounts).
func ownerPool(_ admin: PostgresClient?) throws -> PostgresClient {
    guard let admin else { throw ValidationError("this writes as the owning role: set VRS_ADMIN_DATABASE_URL") }
    return admin
}
