import Foundation
import Logging

/// A private PostgreSQL cluster under a data directory: created on first use, reached only through a
/// unix socket in that directory (no TCP port), run as the `postgres` OS user when we are root.
public struct EmbeddedCluster: Sendable {
    /// The directory holding `pgdata/`, the socket directory `run/` and `postgres.log`.
    public let directory: String
    /// Extra `postgresql.conf` lines written at creation (the test harness turns durability off).
    let extraSettings: [String]
    let logger: Logger

    /// Names a cluster; nothing is created until `start()`.
    public init(directory: String, extraSettings: [String] = [], logger: Logger = Logger(label: "vrs.embedded")) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.extraSettings = extraSettings
        self.logger = logger
    }

    var dataDirectory: String { directory + "/pgdata" }
    /// The unix socket directory.
    public var socketDirectory: String { directory + "/run" }
    var logFile: String { directory + "/postgres.log" }

    /// The superuser connection (for migrations and inspection).
    public func adminURL(database: String = "vrs") -> DatabaseURL {
        DatabaseURL(socketDirectory: socketDirectory, username: "postgres", database: database)
    }

    /// The application's own login role.
    public func appURL(database: String = "vrs") -> DatabaseURL {
        DatabaseURL(socketDirectory: socketDirectory, username: "vrs_app", database: database)
    }

    /// Whether a server is running on this data directory.
    public var isRunning: Bool {
        FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid")
            && (try? PostgresTools.run(["pg_ctl", "status", "-D", dataDirectory], asServerUser: true)) != nil
    }

    /// Creates the cluster if needed and starts it; returns false when it was already running.
    @discardableResult
    public func start() throws -> Bool {
        if isRunning { return false }
        try initializeIfNeeded()
        try PostgresTools.prepareDirectory(socketDirectory, private: true)
        logger.info("starting embedded PostgreSQL", metadata: ["data": "\(dataDirectory)"])
        try PostgresTools.run(["pg_ctl", "start", "-w", "-t", "60", "-D", dataDirectory, "-l", logFile, "-s"], asServerUser: true)
        return true
    }

    /// Stops the server (fast shutdown: open transactions roll back).
    public func stop() throws {
        guard isRunning else { return }
        logger.info("stopping embedded PostgreSQL")
        try PostgresTools.run(["pg_ctl", "stop", "-w", "-m", "fast", "-D", dataDirectory, "-s"], asServerUser: true)
    }

    private func initializeIfNeeded() throws {
        guard !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return }
        try PostgresTools.prepareDirectory(directory, private: true)
        try PostgresTools.prepareDirectory(dataDirectory, private: true)
        try PostgresTools.run(
            ["initdb", "-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-instructions"],
            asServerUser: true)
        // Only the socket in our private directory: no TCP port, nothing another user can reach.
        let settings = [
            "listen_addresses = ''",
            "unix_socket_directories = '\(socketDirectory)'",
            "unix_socket_permissions = 0700",
            // ~1,750 partitions per table: pg_dump and per-partition maintenance lock many relations at once.
            "max_locks_per_transaction = 256",
            "shared_buffers = 256MB",
            "log_min_messages = warning",
            "log_statement = 'none'",
        ] + extraSettings
        try PostgresTools.appendAsServerUser(settings.joined(separator: "\n") + "\n", to: dataDirectory + "/postgresql.conf")
    }
}
