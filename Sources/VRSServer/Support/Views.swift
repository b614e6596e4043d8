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
        let checked = Self.checkIdentity(userId: userId, displayName: displayName)
        var errors = checked.errors
        let name = checked.displayName
        let accountRole = AccountRole(rawValue: role)
        if accountRole != .admin && accountRole != .staff {
            errors.insert(.init(field: "role", code: "not_allowed", message: "must be \"admin\" or \"staff\""), at: errors.first?.field == "userId" ? 1 : 0)
        }
        guard errors.isEmpty, let accountRole else { throw AppError.invalid(errors) }
        return (userId, accountRole, name)
    }

    /// The rules every new account's user ID and display name follow: what is wrong with them, and
    /// the display name trimmed.
    static func checkIdentity(userId: String, displayName: String) -> (errors: [Problem.FieldError], displayName: String) {
        var errors: [Problem.FieldError] = []
        if !AccountID.isWellFormed(userId) {
            errors.append(.init(field: "userId", code: "format", message: "3–64 letters, digits or . _ @ -, starting with a letter or digit"))
        }
        let name = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.unicodeScalars.count > 100 {   // code points, as PostgreSQL's length() counts
            errors.append(.init(field: "displayName", code: "length", message: "must be 1–100 characters"))
        }
        return (errors, name)
    }
}

/// An optional member the contract requires to be present: written as `null` when absent
/// (synthesized encoding leaves a nil optional out).
struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    let value: Value?

    init(_ value: Value?) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
