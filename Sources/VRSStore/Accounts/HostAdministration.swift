import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// What only the host administrator does, over the administrative pool as `vrs_owner`: create
/// operator accounts. An operator cannot create another operator, or four-eyes would mean nothing.
public struct HostAdministration: Sendable {
    let admin: PostgresClient
    let logger: Logger

    /// Works over `admin` (a superuser or a member of `vrs_owner`).
    public init(admin: PostgresClient, logger: Logger) {
        self.admin = admin
        self.logger = logger
    }

    /// Creates any account, audited as the host administrator `actor` in the account's chain
    /// (the central one for operators); a taken user ID is `StoreError.duplicate`.
    public func create(_ account: NewAccount, actor: String) async throws {
        try await admin.ownerTransaction(logger: logger) { connection in
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
            if let municipality = account.municipality { try await connection.bind(municipality, logger: logger) }
            try await AuditLog(logger: logger).append(
                AuditEvent(actorID: actor, actorRole: "host_admin", action: "user.create", targetType: "user",
                           targetID: account.userID, outcome: .success, details: ["role": account.role.rawValue]),
                on: connection)
        }
    }
}
