import Foundation
import VRSDomain

/// What an account may do: central operator, a municipality's admin or staff, or a prefectural
/// or national viewer of statistics.
public enum AccountRole: String, Sendable, Codable, CaseIterable {
    case `operator`
    case admin
    case staff
    case viewer
}

/// An account as sign-in sees it, secrets included (read through `vrs.auth_find_account` only).
public struct Account: Sendable {
    public let userID: String
    public let role: AccountRole
    public let municipality: MunicipalityCode?
    public let passwordHash: String
    public let mustChangePassword: Bool
    /// The TOTP seed sealed under the master key; nil when the account has no TOTP.
    public let sealedTOTPSecret: Data?
    public let totpLastStep: Int64?
    public let lockedUntil: Date?
    /// Locked by an operator or admin (only unlock clears it).
    public let locked: Bool

    /// Whether log-in is refused at `now`, by an explicit lock or a failure lock still running.
    public func isLocked(at now: Date) -> Bool {
        locked || isFailureLocked(at: now)
    }

    /// Whether a lock after repeated failures is still running at `now`.
    public func isFailureLocked(at now: Date) -> Bool {
        lockedUntil.map { $0 > now } ?? false
    }
}

/// An account as its managers see it: no password hash, no TOTP secret.
public struct ManagedAccount: Sendable, Equatable {
    public let userID: String
    public let role: AccountRole
    public let municipality: MunicipalityCode?
    public let displayName: String
    public let locked: Bool
    /// Locked by an operator: only an operator lifts it, and the admin cannot reset it meanwhile.
    public let lockedByOperator: Bool
}

/// An account in a list: what management shows, no secrets.
public struct AccountListing: Sendable, Equatable {
    public let account: ManagedAccount
    /// Still on its initial or reset password.
    public let mustChangePassword: Bool
    public let createdAt: Date
}

/// A statistics viewer in the operators' list: its scope (a prefecture code, nil for the nation) and state.
public struct ViewerListing: Sendable, Equatable {
    public let userID: String
    public let displayName: String
    public let prefecture: String?
    public let locked: Bool
    public let mustChangePassword: Bool
    public let createdAt: Date
}

/// A new account to create.
public struct NewAccount: Sendable {
    public var userID: String
    public var role: AccountRole
    public var municipality: MunicipalityCode?
    public var displayName: String
    public var passwordHash: String
    public var sealedTOTPSecret: Data?
    public var mustChangePassword: Bool

    /// Gathers the fields; the password is already hashed.
    public init(userID: String, role: AccountRole, municipality: MunicipalityCode?, displayName: String, passwordHash: String, sealedTOTPSecret: Data? = nil, mustChangePassword: Bool = true) {
        self.userID = userID
        self.role = role
        self.municipality = municipality
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.sealedTOTPSecret = sealedTOTPSecret
        self.mustChangePassword = mustChangePassword
    }
}
