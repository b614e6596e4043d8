import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://` URL as libpq reads it, turned into a PostgresNIO configuration.
///
/// Supports `postgres[ql]://user:password@host:port/database?sslmode=…` and unix sockets through
/// `?host=/socket/directory` (libpq's convention), so `psql` and `vrs` accept the same strings.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    /// The URL as given.
    let raw: String
    /// User, password, host, port, database and TLS read from the URL.
    public let username: String
    let password: String?
    public let database: String
    public let host: String?
    public let port: Int
    public let socketDirectory: String?
    let sslMode: String

    /// Parses a URL; throws a message that names the part at fault (never the password).
    public init(_ string: String) throws(ConfigurationError) {
        guard let parts = URLComponents(string: string), let scheme = parts.scheme,
              scheme == "postgres" || scheme == "postgresql"
        else { throw ConfigurationError("database URL must start with postgres:// or postgresql://") }
        raw = string
        username = parts.percentEncodedUser?.removingPercentEncoding ?? "postgres"
        password = parts.percentEncodedPassword?.removingPercentEncoding
        let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        database = path.isEmpty ? username : path
        port = parts.port ?? 5432
        let query = Dictionary((parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        sslMode = query["sslmode"] ?? "prefer"
        if let socket = query["host"], socket.hasPrefix("/") {
            socketDirectory = socket
            host = nil
        } else if let name = parts.host, !name.isEmpty {
            host = name
            socketDirectory = nil
        } else {
            throw ConfigurationError("database URL names no host (use postgres://user@host/db or ?host=/socket/dir)")
        }
        guard ["disable", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
            throw ConfigurationError("sslmode \(sslMode) is not one of disable, prefer, require, verify-ca, verify-full")
        }
    }

    /// Builds the URL of a cluster reached through a unix socket directory.
    public init(socketDirectory: String, username: String, database: String, port: Int = 5432) {
        let encoded = socketDirectory.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? socketDirectory
        try! self.init("postgresql://\(username)@/\(database)?host=\(encoded)&port=\(port)")
    }

    /// The same server and credentials, another database.
    public func with(database name: String) -> DatabaseURL {
        var parts = URLComponents(string: raw)!
        parts.path = "/" + name
        return try! DatabaseURL(parts.string!)
    }

    /// The same server and database as another login role.
    public func with(username: String, password: String?) -> DatabaseURL {
        var parts = URLComponents(string: raw)!
        parts.user = username
        parts.password = password
        return try! DatabaseURL(parts.string!)
    }

    /// The PostgresNIO client configuration.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        if let socketDirectory {
            return .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require", "verify-ca":
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = sslMode == "require" ? .none : .noHostnameVerification
            tls = .require(config)
        case "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        return .init(host: host!, port: port, username: username, password: password, database: database, tls: tls)
    }

    /// The URL with its password hidden, safe to print.
    public var description: String {
        guard let password, !password.isEmpty else { return raw }
        return raw.replacingOccurrences(of: ":" + (password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? password) + "@", with: ":****@")
    }

    /// The URL as given, password included, for handing to `psql`.
    public var connectionString: String { raw }
}

/// A configuration value that cannot be used; the message says which and why.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    /// A message for the operator.
    public init(_ description: String) { self.description = description }
}
