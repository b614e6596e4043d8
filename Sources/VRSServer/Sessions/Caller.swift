import Foundation
import Hummingbird
import Logging
import PostgresNIO
import VRSDomain
import VRSStore

/// An authenticated caller: a signed-in user or a registered tablet.
public enum Caller: Sendable {
    case user(SignedInUser)
    case device(DeviceRecord)

    /// The database scope the caller's transactions run under: the second lock behind the middleware.
    public var scope: CallerScope {
        switch self {
        case .user(let user):
            switch (user.role, user.municipality) {
            case (.admin, let municipality?): return .municipalAdmin(municipality)
            case (.staff, let municipality?): return .municipal(municipality)
            case (.operator, nil): return .operator
            // A viewer, or a session whose role and municipality disagree (the database's checks
            // make that impossible): the role that can read nothing but statistics.
            default: return .viewer
            }
        case .device(let device): return .device(device.municipality)
        }
    }

    /// The id written to the audit log.
    public var actorID: String {
        switch self {
        case .user(let user): user.userID
        case .device(let device): device.deviceID.uuidString.lowercased()
        }
    }

    /// The role written to the audit log.
    public var actorRole: String {
        switch self {
        case .user(let user): user.role.rawValue
        case .device: "device"
        }
    }
}

/// A user behind a valid session token.
public struct SignedInUser: Sendable {
    public let userID: String
    public let role: AccountRole
    public let municipality: MunicipalityCode?
    public let mustChangePassword: Bool
    public let expiresAt: Date
    /// The hash of the token that authenticated this request (log-out revokes it).
    public let tokenHash: Data
}
