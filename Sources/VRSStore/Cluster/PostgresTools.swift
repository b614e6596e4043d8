import Foundation

/// Runs the PostgreSQL server programs, which live outside PATH on Debian and refuse to run as root.
enum PostgresTools {
    /// The directory of initdb, pg_ctl and postgres: `VRS_PG_BINDIR`, `pg_config --bindir`, or the newest Debian install.
    static let binDirectory: String? = {
        if let dir = ProcessInfo.processInfo.environment["VRS_PG_BINDIR"], !dir.isEmpty { return dir }
        if let dir = try? capture(["pg_config", "--bindir"]), FileManager.default.fileExists(atPath: dir + "/initdb") {
            return dir
        }
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().last.map { "\(root)/\($0)/bin" }
    }()

    static var isRoot: Bool { geteuid() == 0 }

    /// Runs a server program, as the `postgres` OS user when we are root; throws with its output on failure.
    @discardableResult
    static func run(_ arguments: [String], asServerUser: Bool) throws -> String {
        guard let bin = binDirectory else {
            throw ConfigurationError("PostgreSQL server programs not found: install postgresql (apt-get install postgresql) or set VRS_PG_BINDIR")
        }
        var command = [bin + "/" + arguments[0]] + arguments.dropFirst()
        if asServerUser && isRoot { command = ["runuser", "-u", "postgres", "--"] + command }
        return try capture(command)
    }

    /// Creates a directory owned by the server user (mode 0700 when private).
    static func prepareDirectory(_ path: String, private: Bool) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if `private` { chmod(path, 0o700) }
        if isRoot {
            guard let user = getpwnam("postgres") else {
                throw ConfigurationError("running as root needs the postgres OS user (install postgresql)")
            }
            chown(path, user.pointee.pw_uid, user.pointee.pw_gid)
            // The server user must be able to reach the directory through its parents.
            if (try? capture(["runuser", "-u", "postgres", "--", "test", "-w", path])) == nil {
                throw ConfigurationError("the postgres OS user cannot write \(path); choose a --data-dir whose parents it can traverse")
            }
        }
    }

    static func appendAsServerUser(_ text: String, to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ConfigurationError("cannot open \(path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    /// Runs a command and returns its trimmed output; throws with the output when it fails.
    static func capture(_ command: [String]) throws -> String {
        let (status, output) = try ChildProcess.run(command)
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else {
            throw ConfigurationError("\(command.joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }
}
