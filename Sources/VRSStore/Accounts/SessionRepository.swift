import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// A live session found by its token hash.
public struct SessionRecord: Sendable {
    public let userID: String
    public let role: AccountRole
    public let municipality: MunicipalityCode?
    public let mustChangePassword: Bool
    public let expiresAt: Date
}

/// Bearer-token sessions, stored only as SHA-256 hashes of the tokens.
public struct SessionRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Records a new session.
    public func create(tokenHash: Data, for account: Account, expiresAt: Date, clientAddress: String?, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO vrs.session (token_hash, user_id, role, municipality_code, expires_at, client_address)
            VALUES (\(tokenHash), \(account.userID), \(account.role.rawValue), \(account.municipality), \(expiresAt), \(clientAddress))
            """,
            logger: logger)
    }

    /// The session for a token if it is neither revoked, past its absolute expiry, idle too long,
    /// nor owned by a locked account; marks it used (at most once a minute, to spare writes).
    public func find(tokenHash: Data, idleTimeout: Duration, on connection: PostgresConnection) async throws -> SessionRecord? {
        let idle = Double(idleTimeout.components.seconds)
        let rows = try await connection.query(
            """
            SELECT s.user_id, s.role, s.municipality_code::text, a.must_change_password, s.expires_at,
                   s.last_seen_at < now() - interval '60 seconds'
            FROM vrs.session s JOIN vrs.account a ON a.user_id = s.user_id
            WHERE s.token_hash = \(tokenHash) AND s.revoked_at IS NULL AND s.expires_at > now()
              AND s.last_seen_at > now() - make_interval(secs => \(idle))
              AND NOT a.locked AND (a.locked_until IS NULL OR a.locked_until <= now())
            """,
            logger: logger)
        var found: (SessionRecord, Bool)?
        for try await (user, role, code, mustChange, expires, stale) in rows.decode((String, String, String?, Bool, Date, Bool).self) {
            found = (SessionRecord(
                userID: user, role: AccountRole(rawValue: role) ?? .staff, municipality: try code.map { try MunicipalityCode($0) },
                mustChangePassword: mustChange, expiresAt: expires), stale)
        }
        guard let (session, stale) = found else { return nil }
        if stale {
            try await connection.query("UPDATE vrs.session SET last_seen_at = now() WHERE token_hash = \(tokenHash)", logger: logger)
        }
        return session
    }

    /// Revokes one session.
    public func revoke(tokenHash: Data, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE vrs.session SET revoked_at = now() WHERE token_hash = \(tokenHash) AND revoked_at IS NULL", logger: logger)
    }

    /// Revokes every open session of a user (password change, lock, reset); returns how many.
    @discardableResult
    public func revokeAll(of userID: String, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            """
            WITH r AS (UPDATE vrs.session SET revoked_at = now() WHERE user_id = \(userID) AND revoked_at IS NULL RETURNING 1)
            SELECT count(*)::int FROM r
            """,
            logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }
}
