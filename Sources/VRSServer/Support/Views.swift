import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// A user as the API shows it.
struct UserView: Codable, Sendable {
    let userId: String
    let role: AccountRole
    let municipalityCode: String?
    let mustChangePassword: Bool
}

/// The answer to a successful log-in.
struct SessionView: Codable, Sendable {
    let token: String
    let expiresAt: Date
    let user: UserView
}

/// A new or reset account with its one-time password (shown once, never stored in the clear).
struct IssuedPasswordView: Codable, Sendable {
    let userId: String
    let role: AccountRole
    let municipalityCode: String?
    let initialPassword: String
}

/// The body of user creation.
struct NewUserRequest: Decodable, Sendable {
    let userId: String
    let role: String
    let displayName: String

    /// Checks the fields, naming each one that is wrong.
    func validated() throws -> (String, AccountRole, String) {
        var errors: [Problem.FieldError] = []
        if !AccountID.isWellFormed(userId) {
            errors.append(.init(field: "userId", code: "format", message: "3–64 letters, digits or . _ @ -, starting with a letter or digit"))
        }
        let accountRole = AccountRole(rawValue: role)
        if accountRole != .admin && accountRole != .staff {
            errors.append(.init(field: "role", code: "not_allowed", message: "must be \"admin\" or \"staff\""))
        }
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.unicodeScalars.count > 100 {   // code points, as PostgreSQL's length() counts
            errors.append(.init(field: "displayName", code: "length", message: "must be 1–100 characters"))
        }
        guard errors.isEmpty, let accountRole else { throw AppError.invalid(errors) }
        return (userId, accountRole, name)
    }
}
