import Foundation
import VRSDomain

/// A registered person as stored: the Individual Number stays sealed until someone asks for it.
public struct PersonRecord: Sendable {
    public let id: UUID
    public let municipality: MunicipalityCode
    public let addressNumber: String
    public let familyName: String
    public let givenName: String
    public let familyNameKana: String
    public let givenNameKana: String
    public let birthDate: CalendarDate
    public let sex: Sex
    public let status: PersonStatus
    public let statusEffectiveOn: CalendarDate?
    public let destinationCode: String?
    public let movedInOn: CalendarDate?
    /// The key version the number was sealed with.
    public let keyVersion: Int
    let sealedIndividualNumber: Data
    /// Raised on every traced change (migration 0012): the person's ETag.
    public let version: Int
    /// Set on a tombstone: the registration this one was merged into.
    public let mergedInto: UUID?
}
