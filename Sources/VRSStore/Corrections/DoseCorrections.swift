import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// Fields of a dose to amend; a field left nil stays as it is, `clearSite`/`clearDoctor` empty them.
public struct DoseAmendment: Sendable, Equatable {
    public var product: String?
    public var lotNumber: String?
    public var vaccinatedOn: CalendarDate?
    /// `.some(nil)` clears the site name; nil leaves it.
    public var siteName: String??
    /// `.some(nil)` clears the doctor's name; nil leaves it.
    public var doctorName: String??

    /// Gathers an amendment.
    public init(product: String? = nil, lotNumber: String? = nil, vaccinatedOn: CalendarDate? = nil,
                siteName: String?? = nil, doctorName: String?? = nil) {
        self.product = product
        self.lotNumber = lotNumber
        self.vaccinatedOn = vaccinatedOn
        self.siteName = siteName
        self.doctorName = doctorName
    }

    /// The API names of the fields it changes, as the door expects them.
    public var fields: [String] {
        [product.map { _ in "product" }, lotNumber.map { _ in "lotNumber" }, vaccinatedOn.map { _ in "vaccinatedOn" },
         siteName.map { _ in "siteName" }, doctorName.map { _ in "doctorName" }].compactMap { $0 }
    }
}

/// Where a handed-over dose went.
public struct HandOver: Sendable, Equatable {
    public var version: Int
    public var receivedID: UUID
    public var result: String
    public var municipalityName: String
}

/// Corrections of doses through the doors of migration 0012, in the caller's transaction: each
/// names the version it read, needs a reason, and is traced and audited by the database.
public struct DoseCorrections: Sendable {
    let actor: ActorLabels
    let logger: Logger

    /// Corrections by `actor`.
    public init(actor: ActorLabels, logger: Logger) {
        self.actor = actor
        self.logger = logger
    }

    /// The dose stops counting; returns its new version.
    public func void(_ id: UUID, version: Int, reason: String, on connection: PostgresConnection) async throws -> Int {
        try await newVersion(
            "SELECT vrs.void_vaccination(\(id), \(version)::int, \(reason), \(actor.actorID), \(actor.requestID))", on: connection)
    }

    /// Amends the fields the amendment names; returns the new version.
    public func amend(_ id: UUID, version: Int, reason: String, _ amendment: DoseAmendment, on connection: PostgresConnection) async throws -> Int {
        let site: String? = amendment.siteName ?? nil
        let doctor: String? = amendment.doctorName ?? nil
        return try await newVersion(
            """
            SELECT vrs.amend_vaccination(\(id), \(version)::int, \(reason), \(amendment.fields)::text[], \(amendment.product),
                   \(amendment.lotNumber), \(amendment.vaccinatedOn?.description)::date, \(site), \(doctor),
                   \(actor.actorID), \(actor.requestID))
            """, on: connection)
    }

    /// Moves the dose to a coupon or person of the same municipality; returns the new version.
    public func move(_ id: UUID, version: Int, reason: String, coupon: CouponNumber?, person: UUID?, on connection: PostgresConnection) async throws -> Int {
        try await newVersion(
            """
            SELECT vrs.move_vaccination(\(id), \(version)::int, \(reason), \(coupon?.rawValue)::char(10), \(person),
                   \(actor.actorID), \(actor.requestID))
            """, on: connection)
    }

    /// Hands the dose over to the municipality its coupon belongs to.
    public func handOver(_ id: UUID, version: Int, reason: String, to municipality: MunicipalityCode, coupon: CouponNumber?,
                         on connection: PostgresConnection) async throws -> HandOver {
        do {
            let rows = try await connection.query(
                """
                SELECT version, received_id, result, municipality_name
                  FROM vrs.hand_over_vaccination(\(id), \(version)::int, \(reason), \(municipality), \(coupon?.rawValue)::char(10),
                       \(actor.actorID), \(actor.requestID))
                """, logger: logger)
            for try await (version, received, result, name) in rows.decode((Int, UUID, String, String).self) {
                return HandOver(version: version, receivedID: received, result: result, municipalityName: name)
            }
        } catch {
            throw translated(error)
        }
        throw StoreError.correctionRefused(.notFound, message: "no answer", hint: nil)
    }

    private func newVersion(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> Int {
        do {
            for try await version in try await connection.query(query, logger: logger).decode(Int.self) { return version }
        } catch {
            throw translated(error)
        }
        throw StoreError.correctionRefused(.notFound, message: "no answer", hint: nil)
    }
}
