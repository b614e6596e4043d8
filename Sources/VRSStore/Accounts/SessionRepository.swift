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

/// Bearer-token sessions, stored only as SHA-256 hashes of the tokens. Sign-in, lookup and
/// sign-out go through the `vrs.auth_*` doors; a trigger keeps every session's times honest.
public struct SessionRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Opens a session after the server verified `verifiedHash` (and the TOTP `totpStep`); the
    /// database computes the expiry. Refused (`.refused(.signInRefused)`) if the account was
    /// locked or its hash changed meanwhile, or the step was used already.
    public func open(tokenHash: Data, for account: Account, totpStep: Int64?, lifetime: Duration, clientAddress: String?,
                     on connection: PostgresConnection) async throws -> Date {
        do {
            let rows = try await connection.query(
                """
                SELECT vrs.auth_open_session(\(tokenHash), \(account.userID), \(account.passwordHash), \(totpStep),
                                             \(clientAddress), \(Int(lifetime.components.seconds))::int)
                """,
                logger: logger)
            for try await expires in rows.decode(Date.self) { return expires }
        } catch {
            throw translated(error)
        }
        throw StoreError.refused(.signInRefused)
    }

    /// The session for a token if it is neither revoked, past its absolute expiry, idle too long,
    /// nor owned by an explicitly locked account; marks it used (at most once a minute).
    public func find(tokenHash: Data, idleTimeout: Duration, on connection: PostgresConnection) async throws -> SessionRecord? {
        try await Self.session(in: connection.query(try Self.lookup(tokenHash, idleTimeout), logger: logger))
    }

    /// The same check in autocommit, as the login role itself: one round trip, no transaction
    /// (migration 0010 grants the door to vrs_app). Every request's authentication goes here.
    public func find(tokenHash: Data, idleTimeout: Duration, on client: PostgresClient) async throws -> SessionRecord? {
        try await Self.session(in: client.query(try Self.lookup(tokenHash, idleTimeout), logger: logger))
    }

    private static func lookup(_ tokenHash: Data, _ idleTimeout: Duration) throws -> PostgresQuery {
        try """
        SELECT user_id, role, municipality_code::text, must_change_password, expires_at
        FROM vrs.auth_session(\(tokenHash), \(Int(idleTimeout.components.seconds))::int)
        """
    }

    private static func session(in rows: PostgresRowSequence) async throws -> SessionRecord? {
        for try await (user, role, code, mustChange, expires) in rows.decode((String, String, String?, Bool, Date).self) {
            return SessionRecord(
                userID: user, role: AccountRole(rawValue: role) ?? .staff, municipality: try code.map { try MunicipalityCode($0) },
                mustChangePassword: mustChange, expiresAt: expires)
        }
        return nil
    }

    /// Ends one session (sign-out).
    public func revoke(tokenHash: Data, on connection: PostgresConnection) async throws {
        try await connection.perform("SELECT vrs.auth_revoke_session(\(tokenHash))", logger: logger)
    }
}
