import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// Accounts. Sign-in reads and writes them through the `vrs.auth_*` doors; municipal admins manage
/// their own staff with plain statements that row-level security narrows; nobody else writes.
public struct AccountRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// The account behind a sign-in, with its password hash (authentication scope only).
    public func signInCandidate(_ userID: String, on connection: PostgresConnection) async throws -> Account? {
        let rows = try await connection.query(
            """
            SELECT user_id, role, municipality_code::text, password_hash, must_change_password, totp_secret,
                   totp_last_step, locked, locked_until
            FROM vrs.auth_find_account(\(userID))
            """,
            logger: logger)
        for try await row in rows {
            let (id, role, code, hash, mustChange, totp, lastStep, locked, lockedUntil) =
                try row.decode((String, String, String?, String, Bool, Data?, Int64?, Bool, Date?).self)
            return Account(
                userID: id, role: AccountRole(rawValue: role) ?? .staff, municipality: try code.map { try MunicipalityCode($0) },
                passwordHash: hash, mustChangePassword: mustChange, sealedTOTPSecret: totp, totpLastStep: lastStep,
                lockedUntil: lockedUntil, locked: locked)
        }
        return nil
    }

    /// The account as the caller's scope may see it (no secrets), for management.
    public func managed(_ userID: String, on connection: PostgresConnection) async throws -> ManagedAccount? {
        let rows = try await connection.query(
            "SELECT user_id, role, municipality_code::text, display_name, locked, locked_by_operator FROM vrs.account WHERE user_id = \(userID)",
            logger: logger)
        for try await (id, role, code, name, locked, byOperator) in rows.decode((String, String, String?, String, Bool, Bool).self) {
            return ManagedAccount(
                userID: id, role: AccountRole(rawValue: role) ?? .staff, municipality: try code.map { try MunicipalityCode($0) },
                displayName: name, locked: locked, lockedByOperator: byOperator)
        }
        return nil
    }

    /// The municipal accounts the caller's scope may see, in user-ID order: one municipality's
    /// (`municipality`), or for operators every municipality's admins when it is nil.
    public func list(municipality: MunicipalityCode?, on connection: PostgresConnection) async throws -> [AccountListing] {
        let query: PostgresQuery = municipality.map {
            """
            SELECT user_id, role, municipality_code::text, display_name, locked, locked_by_operator, must_change_password, created_at
            FROM vrs.account WHERE municipality_code = \($0) ORDER BY user_id
            """
        } ?? """
            SELECT user_id, role, municipality_code::text, display_name, locked, locked_by_operator, must_change_password, created_at
            FROM vrs.account WHERE role = 'admin' ORDER BY municipality_code, user_id
            """
        var result: [AccountListing] = []
        let rows = try await connection.query(query, logger: logger)
        for try await (id, role, code, name, locked, byOperator, mustChange, created) in rows.decode((String, String, String?, String, Bool, Bool, Bool, Date).self) {
            result.append(AccountListing(
                account: ManagedAccount(userID: id, role: AccountRole(rawValue: role) ?? .staff, municipality: try code.map { try MunicipalityCode($0) },
                                        displayName: name, locked: locked, lockedByOperator: byOperator),
                mustChangePassword: mustChange, createdAt: created))
        }
        return result
    }

    /// The statistics viewers, for the operators who manage them: scope and state, no secrets.
    public func viewers(on connection: PostgresConnection) async throws -> [ViewerListing] {
        let rows = try await connection.query(
            """
            SELECT user_id, display_name, prefecture_code::text, locked, must_change_password, created_at
            FROM vrs.account WHERE role = 'viewer' ORDER BY user_id
            """,
            logger: logger)
        var result: [ViewerListing] = []
        for try await (id, name, prefecture, locked, mustChange, created) in rows.decode((String, String, String?, Bool, Bool, Date).self) {
            result.append(ViewerListing(userID: id, displayName: name, prefecture: prefecture, locked: locked,
                                        mustChangePassword: mustChange, createdAt: created))
        }
        return result
    }

    /// Whether a client address has used up its failed sign-ins for the current window.
    public func addressBlocked(_ clientAddress: String?, maxFailures: Int, window: Duration, on connection: PostgresConnection) async throws -> Bool {
        guard let clientAddress else { return false }
        let rows = try await connection.query(
            "SELECT vrs.auth_address_blocked(\(clientAddress), \(maxFailures)::int, \(Int(window.components.seconds))::int)", logger: logger)
        for try await blocked in rows.decode(Bool.self) { return blocked }
        return false
    }

    /// Counts a failed sign-in (or wrong current password) for the account, when known, and the
    /// address; locks the account for `lockFor` at `maxFailures`. Returns whether it locked now.
    public func recordFailure(_ userID: String?, clientAddress: String?, maxFailures: Int, lockFor: Duration,
                              on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT vrs.auth_record_failure(\(userID), \(clientAddress), \(maxFailures)::int, \(Int(lockFor.components.seconds))::int)",
            logger: logger)
        for try await lockedNow in rows.decode(Bool.self) { return lockedNow }
        return false
    }

    /// Sets the password of the account behind a live session (its own change), ending all its
    /// sessions; fails with `.refused(.signInRefused)` if the hash changed since it was verified.
    public func changePassword(session tokenHash: Data, verifiedHash: String, newHash: String, on connection: PostgresConnection) async throws {
        do {
            try await connection.perform(
                "SELECT vrs.auth_change_password(\(tokenHash), \(verifiedHash), \(newHash))", logger: logger)
        } catch {
            throw translated(error)
        }
    }

    /// Creates a staff or admin account of the bound municipality (a municipal admin's transaction);
    /// a taken user ID is `StoreError.duplicate`.
    public func create(_ account: NewAccount, on connection: PostgresConnection) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO vrs.account (user_id, role, municipality_code, display_name, password_hash, must_change_password)
                VALUES (\(account.userID), \(account.role.rawValue), \(account.municipality), \(account.displayName),
                        \(account.passwordHash), \(account.mustChangePassword))
                """,
                logger: logger)
        } catch {
            throw translated(error)
        }
    }

    /// Sets a one-time password on a staff account of the bound municipality (its sessions end, by
    /// trigger). False when the caller may not (no visible staff row matched).
    public func resetPassword(_ userID: String, hash: String, on connection: PostgresConnection) async throws -> Bool {
        try await updated(
            """
            UPDATE vrs.account SET password_hash = \(hash), must_change_password = true, failed_attempts = 0,
                   locked_until = NULL, password_changed_at = now(), updated_at = now()
            WHERE user_id = \(userID) RETURNING 1
            """, on: connection)
    }

    /// Locks or unlocks a staff account of the bound municipality (an unlock also clears failure
    /// locks; a lock ends its sessions, by trigger). False when the caller may not.
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
