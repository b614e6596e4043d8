import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// Listeners and security settings of the server.
public struct ServerConfiguration: Sendable {
    /// Address and port of the LG-WAN listener (municipal and operator APIs; the only place an
    /// Individual Number may travel).
    public var lgwanHost: String
    public var lgwanPort: Int
    /// Address and port of the public listener (tablets).
    public var publicHost: String
    public var publicPort: Int
    /// Log-in, session and request limits.
    public var security: SecurityConfiguration

    /// Defaults: both on loopback, 8080 (LG-WAN) and 8081 (public).
    public init(lgwanHost: String = "127.0.0.1", lgwanPort: Int = 8080, publicHost: String = "127.0.0.1", publicPort: Int = 8081,
                security: SecurityConfiguration = .init()) {
        self.lgwanHost = lgwanHost
        self.lgwanPort = lgwanPort
        self.publicHost = publicHost
        self.publicPort = publicPort
        self.security = security
    }
}

/// How strict log-in and sessions are.
public struct SecurityConfiguration: Sendable {
    /// Consecutive failed log-ins that lock an account.
    public var maxFailedLogins: Int = 5
    /// How long such a lock lasts; also the window in which failures per client address count.
    public var lockDuration: Duration = .seconds(15 * 60)
    /// Failed sign-ins from one client address within `lockDuration` after which that address is
    /// refused (every account), so one client cannot lock account after account.
    public var maxFailedLoginsPerAddress: Int = 20
    /// A session unused this long expires.
    public var idleTimeout: Duration = .seconds(30 * 60)
    /// A session expires this long after log-in, used or not.
    public var absoluteTimeout: Duration = .seconds(12 * 60 * 60)
    /// bcrypt cost factor.
    public var bcryptCost: UInt8 = 12
    /// Largest request body accepted, in bytes.
    public var maxBodySize: Int = 1 << 20
    /// Largest import file accepted (`/v1/persons/import`, `/v1/vaccinations/import`), in bytes.
    /// The default takes a 1,000,000-line registration file (~160 bytes a line) several times over.
    public var maxImportSize: Int = 1 << 30
    /// How long a checked session or device token is trusted without asking the database again,
    /// while revocation notices arrive (zero: every request asks).
    public var tokenCacheLifetime: Duration = .seconds(10)
    /// Shortest new password accepted.
    public var minimumPasswordLength: Int = 12
    /// How long a transfer batch's uploaded numbers and answers are kept before the purge deletes them.
    public var transferRetention: Duration = .seconds(7 * 86_400)
    /// Batch lines answered per transaction by the background worker.
    public var transferChunkSize: Int = 50
    /// How often an idle worker looks for a waiting batch.
    public var transferPollInterval: Duration = .seconds(2)
    /// The console's cookies are `Secure` with the `__Host-` prefix. Turn off only for a console
    /// served over plain HTTP on a host other than localhost (browsers drop `Secure` cookies there).
    public var consoleSecureCookies = true
    /// The largest console form (a file upload) read into memory; larger files go through the API.
    public var consoleMaxUpload: Int = 64 << 20
    /// A request that takes longer than this is logged as a warning (its route, never its path).
    public var slowRequestThreshold: Duration = .milliseconds(2_000)
    /// The `iss` of the certificates: the public listener's base URL as verifiers reach it (they
    /// fetch `iss` + `/.well-known/jwks.json`). Nil: the public listener's own address.
    public var certificateIssuer: String?

    /// The defaults above.
    public init() {}

    /// Reads `VRS_LOGIN_MAX_FAILURES`, `VRS_LOGIN_MAX_FAILURES_PER_ADDRESS`, `VRS_LOCK_MINUTES`, `VRS_SESSION_IDLE_MINUTES`,
    /// `VRS_SESSION_MAX_HOURS`, `VRS_BCRYPT_COST`, `VRS_MAX_BODY_BYTES`, `VRS_MIN_PASSWORD_LENGTH`, `VRS_IMPORT_MAX_BYTES`,
    /// `VRS_TOKEN_CACHE_SECONDS`, `VRS_TRANSFER_RETENTION_DAYS`, `VRS_TRANSFER_CHUNK_LINES`, `VRS_TRANSFER_POLL_SECONDS`, `VRS_CONSOLE_SECURE_COOKIES` (true/false),
    /// `VRS_CONSOLE_MAX_UPLOAD_MB`, `VRS_SLOW_REQUEST_MS` and `VRS_CERTIFICATE_ISSUER` where set.
    public init(environment: [String: String]) throws {
        func int(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw SecurityConfigurationError(description: "\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        if let v = try int("VRS_LOGIN_MAX_FAILURES", 1...100) { maxFailedLogins = v }
        if let v = try int("VRS_LOGIN_MAX_FAILURES_PER_ADDRESS", 1...1_000) { maxFailedLoginsPerAddress = v }
        if let v = try int("VRS_LOCK_MINUTES", 1...1_440) { lockDuration = .seconds(v * 60) }
        if let v = try int("VRS_SESSION_IDLE_MINUTES", 1...1_440) { idleTimeout = .seconds(v * 60) }
        // The database refuses sessions longer than vrs.session_max_lifetime() (24 hours).
        if let v = try int("VRS_SESSION_MAX_HOURS", 1...24) { absoluteTimeout = .seconds(v * 3600) }
        if let v = try int("VRS_BCRYPT_COST", 4...16) { bcryptCost = UInt8(v) }
        if let v = try int("VRS_MAX_BODY_BYTES", 1_024...(256 << 20)) { maxBodySize = v }
        if let v = try int("VRS_MIN_PASSWORD_LENGTH", 8...128) { minimumPasswordLength = v }
        if let v = try int("VRS_IMPORT_MAX_BYTES", 1_024...(64 << 30)) { maxImportSize = v }
        if let v = try int("VRS_TOKEN_CACHE_SECONDS", 0...60) { tokenCacheLifetime = .seconds(v) }
        if let v = try int("VRS_TRANSFER_RETENTION_DAYS", 1...90) { transferRetention = .seconds(v * 86_400) }
        if let v = try int("VRS_TRANSFER_CHUNK_LINES", 1...1_000) { transferChunkSize = v }
        if let v = try int("VRS_TRANSFER_POLL_SECONDS", 1...3_600) { transferPollInterval = .seconds(v) }
        if let v = try int("VRS_CONSOLE_MAX_UPLOAD_MB", 1...1_024) { consoleMaxUpload = v << 20 }
        if let v = try int("VRS_SLOW_REQUEST_MS", 1...600_000) { slowRequestThreshold = .milliseconds(v) }
        if let issuer = environment["VRS_CERTIFICATE_ISSUER"], !issuer.isEmpty {
            guard let url = URL(string: issuer), ["https", "http"].contains(url.scheme), url.host != nil, url.query == nil,
                  !issuer.hasSuffix("/") else {
                throw SecurityConfigurationError(description: "VRS_CERTIFICATE_ISSUER must be an http(s) URL without a trailing slash or query")
            }
            certificateIssuer = issuer
        }
        switch environment["VRS_CONSOLE_SECURE_COOKIES"]?.lowercased() {
        case nil, "", "true", "1", "yes": consoleSecureCookies = true
        case "false", "0", "no": consoleSecureCookies = false
        default: throw SecurityConfigurationError(description: "VRS_CONSOLE_SECURE_COOKIES must be true or false")
        }
    }
}

/// A security setting that cannot be used.
public struct SecurityConfigurationError: Error, CustomStringConvertible {
    public let description: String
}
