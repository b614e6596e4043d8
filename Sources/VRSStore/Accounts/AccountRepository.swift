import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// Accounts: the rows each caller role may see are decided by row-level security.
public struct AccountRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// The account with this user ID, locked for update when `forUpdate` (log-in counts failures).
    public func find(_ userID: String, forUpdate: Bool = false, on connection: PostgresConnection) async throws -> Account? {
        let rows = try await connection.query(
            """
            SELECT user_id, role, municipality_code::text, display_name, password_hash, must_change_password, totp_secret,
                   totp_last_step, failed_attempts, locked_until, locked
            FROM vrs.account WHERE user_id = \(userID) \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """,
            logger: logger)
        for try await row in rows {
            let (id, role, code, name, hash, mustChange, totp, lastStep, failures, lockedUntil, locked) =
                try row.decode((String, String, String?, String, String, Bool, Data?, Int64?, Int, Date?, Bool).self)
            return Account(
                userID: id, role: AccountRole(rawValue: role) ?? .staff, municipality: try code.map { try MunicipalityCode($0) },
                displayName: name, passwordHash: hash, mustChangePassword: mustChange, sealedTOTPSecret: totp,
                totpLastStep: lastStep, failedAttempts: failures, lockedUntil: lockedUntil, locked: locked)
        }
        return nil
    }

    /// Creates an account; a taken user ID is `StoreError.duplicate`.
    public func create(_ account: NewAccount, on connection: PostgresConnection) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, totp_secret, must_change_password)
                VALUES (\(account.userID), \(account.role.rawValue), \(account.municipality), \(account.displayName),
                        \(account.passwordHash), \(account.sealedTOTPSecret), \(account.mustChangePassword))
                """,
                logger: logger)
        } catch {
            throw translated(error)
        }
    }

    /// Counts a failed log-in; locks for `lockFor` when the count reaches `maxFailures`. Returns whether it locked now.
    public func recordFailure(_ userID: String, maxFailures: Int, lockFor: Duration, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE vrs.account SET updated_at = now(),
                   failed_attempts = CASE WHEN failed_attempts + 1 >= \(maxFailures) THEN 0 ELSE failed_attempts + 1 END,
                   locked_until = CASE WHEN failed_attempts + 1 >= \(maxFailures)
                                       THEN now() + make_interval(secs => \(Double(lockFor.components.seconds))) ELSE locked_until END
            WHERE user_id = \(userID) RETURNING coalesce(locked_until > now(), false)
            """,
            logger: logger)
        for try await lockedNow in rows.decode(Bool.self) { return lockedNow }
        return false
    }

    /// Clears the failure count after a successful log-in and remembers the accepted TOTP step.
    public func recordSuccess(_ userID: String, totpStep: Int64?, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE vrs.account SET failed_attempts = 0, locked_until = NULL, updated_at = now(),
                   totp_last_step = coalesce(\(totpStep), totp_last_step)
            WHERE user_id = \(userID)
            """,
            logger: logger)
    }

    /// Sets a new password hash; `mustChange` forces a change at the next call. Returns false when no visible row matched.
    public func setPassword(_ userID: String, hash: String, mustChange: Bool, on connection: PostgresConnection) async throws -> Bool {
        try await updated(
            """
            UPDATE vrs.account SET password_hash = \(hash), must_change_password = \(mustChange), failed_attempts = 0,
                   locked_until = NULL, password_changed_at = now(), updated_at = now()
            WHERE user_id = \(userID) RETURNING 1
            """, on: connection)
    }

    /// Locks or unlocks an account (an unlock also clears failure locks). Returns false when no visible row matched.
    public func setLocked(_ userID: String, _ locked: Bool, on connection: PostgresConnection) async throws -> Bool {
        try await updated(
            """
            UPDATE vrs.account SET locked = \(locked), failed_attempts = 0, locked_until = NULL, updated_at = now()
            WHERE user_id = \(userID) RETURNING 1
            """, on: connection)
    }

    private func updated(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> Bool {
        var found = false
        for try await _ in try await connection.query(query, logger: logger) { found = true }
        return found
    }
}
