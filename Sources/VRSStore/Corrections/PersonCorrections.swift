import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// Fields of a registration to amend; nil leaves a field as it is.
public struct PersonAmendment: Sendable, Equatable {
    public var familyName: String?
    public var givenName: String?
    public var familyNameKana: String?
    public var givenNameKana: String?
    public var birthDate: CalendarDate?
    public var sex: Sex?
    public var addressNumber: String?

    /// Gathers an amendment.
    public init(familyName: String? = nil, givenName: String? = nil, familyNameKana: String? = nil, givenNameKana: String? = nil,
                birthDate: CalendarDate? = nil, sex: Sex? = nil, addressNumber: String? = nil) {
        self.familyName = familyName
        self.givenName = givenName
        self.familyNameKana = familyNameKana
        self.givenNameKana = givenNameKana
        self.birthDate = birthDate
        self.sex = sex
        self.addressNumber = addressNumber
    }

    /// The API names of the fields it sets.
    public var fields: [String] {
        [familyName.map { _ in "familyName" }, givenName.map { _ in "givenName" }, familyNameKana.map { _ in "familyNameKana" },
         givenNameKana.map { _ in "givenNameKana" }, birthDate.map { _ in "birthDate" }, sex.map { _ in "sex" },
         addressNumber.map { _ in "addressNumber" }].compactMap { $0 }
    }
}

/// Corrections of registrations, in the caller's transaction. An amend is a plain UPDATE under
/// row-level security (staff may update their persons; the trace of migration 0012 records it
/// with the reason bound here); a merge goes through the door `vrs.merge_person`.
public struct PersonCorrections: Sendable {
    let actor: ActorLabels
    let logger: Logger

    /// Corrections by `actor`.
    public init(actor: ActorLabels, logger: Logger) {
        self.actor = actor
        self.logger = logger
    }

    /// Amends a person if `version` is still theirs; returns the new version (the same when nothing changed).
    public func amend(_ id: UUID, version: Int, reason: String, _ amendment: PersonAmendment, in municipality: MunicipalityCode,
                      on connection: PostgresConnection) async throws -> Int {
        try await connection.labelChanges("person.amend", reason: reason, logger: logger)
        let updated: Int?
        do {
            let rows = try await connection.query(
                """
                UPDATE vrs.person
                   SET family_name = coalesce(\(amendment.familyName), family_name), given_name = coalesce(\(amendment.givenName), given_name),
                       family_name_kana = coalesce(\(amendment.familyNameKana), family_name_kana),
                       given_name_kana = coalesce(\(amendment.givenNameKana), given_name_kana),
                       birth_date = coalesce(\(amendment.birthDate?.description)::date, birth_date),
                       sex = coalesce(\(amendment.sex?.rawValue)::char(1), sex),
                       address_number = coalesce(\(amendment.addressNumber), address_number), updated_at = now()
                 WHERE municipality_code = \(municipality) AND person_id = \(id) AND version = \(version) AND merged_into IS NULL
                RETURNING version
                """, logger: logger)
            updated = try await rows.decode(Int.self).first { _ in true }
        } catch {
            throw translated(error)
        }
        try await connection.labelChanges(nil, logger: logger)
        if let updated { return updated }
        // Why nothing was updated, in the words of the doors.
        let rows = try await connection.query(
            "SELECT version, merged_into FROM vrs.person WHERE municipality_code = \(municipality) AND person_id = \(id)", logger: logger)
        guard let (current, merged) = try await rows.decode((Int, UUID?).self).first(where: { _ in true }) else {
            throw StoreError.correctionRefused(.notFound, message: "no person \(id.uuidString.lowercased()) in your municipality", hint: nil)
        }
        if let merged {
            throw StoreError.correctionRefused(.notCorrectable, message: "the person was merged into \(merged.uuidString.lowercased())", hint: nil)
        }
        throw StoreError.staleVersion(
            current: current, message: "the person is at version \(current), not \(version): it was changed since it was read. Read it again and repeat the correction.")
    }

    /// Merges `duplicate` (at `version`) into `kept`; returns how many coupons and doses moved.
    public func merge(_ duplicate: UUID, version: Int, into kept: UUID, reason: String, on connection: PostgresConnection) async throws -> (coupons: Int, doses: Int) {
        do {
            let rows = try await connection.query(
                "SELECT coupons, doses FROM vrs.merge_person(\(duplicate), \(version)::int, \(kept), \(reason), \(actor.actorID), \(actor.requestID))",
                logger: logger)
            for try await (coupons, doses) in rows.decode((Int, Int).self) { return (coupons, doses) }
        } catch {
            throw translated(error)
        }
        throw StoreError.correctionRefused(.notFound, message: "no answer", hint: nil)
    }
}
