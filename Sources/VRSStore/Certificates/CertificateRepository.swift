import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// One certificate as its municipality's record holds it (migration 0014): never the card itself.
public struct CertificateRecord: Sendable, Equatable {
    public let id: UUID
    public let personID: UUID
    public let format: String
    public let kid: String
    public let revocationID: String
    public let doseCount: Int
    public let issuedAt: Date
    public let issuedBy: String
    public let revokedAt: Date?
    public let revokedBy: String?
}

/// What revoking did: the key and rid now on the public list, and whether this call put them there.
public struct CertificateRevocation: Sendable, Equatable {
    public let kid: String
    public let revocationID: String
    public let revokedAt: Date
    public let newly: Bool
}

/// Certificates of the caller's municipality: the doses a card states, the record of each card
/// issued, revocation; and the public revocation lists.
public struct CertificateRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// CVX 213, "SARS-COV-2 (COVID-19) vaccine, unspecified formulation": for a product whose own
    /// code the product table does not have.
    public static let unspecifiedCVX = "213"

    /// The person's recorded doses (not voided or moved away), oldest first, as a card states them:
    /// date, CVX code, lot, and who gave it (the site, else the municipality that recorded it).
    public func certifiedDoses(of personID: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> [CertifiedDose] {
        let rows = try await connection.query(
            """
            SELECT to_char(v.vaccinated_on, 'YYYY-MM-DD'), p.cvx_code, v.lot_number, coalesce(nullif(v.site_name, ''), d.name)
              FROM vrs.vaccination v
              JOIN vrs.vaccine_product p ON p.code = v.product_code
              LEFT JOIN vrs.municipality_directory d ON d.code = coalesce(v.origin_municipality_code, v.municipality_code)
             WHERE v.municipality_code = \(municipality) AND v.person_id = \(personID) AND v.state = 'recorded'
             ORDER BY v.vaccinated_on, v.dose
            """,
            logger: logger)
        var doses: [CertifiedDose] = []
        for try await (on, cvx, lot, performer) in rows.decode((String, String?, String, String?).self) {
            doses.append(CertifiedDose(vaccinatedOn: on, cvxCode: cvx ?? Self.unspecifiedCVX, lotNumber: lot, performer: performer))
        }
        return doses
    }

    /// The same doses as a VDS-NC seal states them: product, dose number, date, lot, centre.
    public func sealDoses(of personID: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> [VaccinationSeal.Dose] {
        let rows = try await connection.query(
            """
            SELECT v.product_code, v.dose::int, to_char(v.vaccinated_on, 'YYYY-MM-DD'), v.lot_number, coalesce(nullif(v.site_name, ''), d.name)
              FROM vrs.vaccination v
              LEFT JOIN vrs.municipality_directory d ON d.code = coalesce(v.origin_municipality_code, v.municipality_code)
             WHERE v.municipality_code = \(municipality) AND v.person_id = \(personID) AND v.state = 'recorded'
             ORDER BY v.vaccinated_on, v.dose
            """,
            logger: logger)
        var doses: [VaccinationSeal.Dose] = []
        for try await (product, dose, on, lot, centre) in rows.decode((String, Int, String, String, String?).self) {
            doses.append(VaccinationSeal.Dose(productCode: product, dose: dose, vaccinatedOn: on, lotNumber: lot, centre: centre))
        }
        return doses
    }

    /// Records a card issued by `actor` at `issuedAt` (its `nbf`); the row policy insists `actor`
    /// is the transaction's own.
    public func record(id: UUID, personID: UUID, format: String = "shc", kid: String, revocationID: String, doseCount: Int, issuedAt: Date,
                       actor: String, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO vrs.certificate (municipality_code, certificate_id, person_id, format, kid, revocation_id, dose_count, issued_at, issued_by)
            VALUES (\(municipality), \(id), \(personID), \(format), \(kid), \(revocationID), \(doseCount), \(issuedAt), \(actor))
            """,
            logger: logger)
    }

    /// The person's certificates, newest first.
    public func list(of personID: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> [CertificateRecord] {
        let rows = try await connection.query(
            """
            SELECT certificate_id, person_id, format, kid, revocation_id, dose_count, issued_at, issued_by, revoked_at, revoked_by
              FROM vrs.certificate
             WHERE municipality_code = \(municipality) AND person_id = \(personID)
             ORDER BY issued_at DESC, certificate_id
            """,
            logger: logger)
        var records: [CertificateRecord] = []
        for try await (id, person, format, kid, rid, count, issued, by, revoked, revokedBy)
            in rows.decode((UUID, UUID, String, String, String, Int, Date, String, Date?, String?).self) {
            records.append(CertificateRecord(id: id, personID: person, format: format, kid: kid, revocationID: rid, doseCount: count,
                                             issuedAt: issued, issuedBy: by, revokedAt: revoked, revokedBy: revokedBy))
        }
        return records
    }

    /// Revokes a certificate of the bound municipality (admins; `vrs.revoke_certificate`); nil if
    /// there is no such certificate there.
    public func revoke(_ id: UUID, on connection: PostgresConnection) async throws -> CertificateRevocation? {
        let rows = try await connection.query("SELECT kid, rid, revoked_at, newly FROM vrs.revoke_certificate(\(id))", logger: logger)
        for try await (kid, rid, at, newly) in rows.decode((String, String, Date, Bool).self) {
            return CertificateRevocation(kid: kid, revocationID: rid, revokedAt: at, newly: newly)
        }
        return nil
    }

    /// The rids revoked under `kid`, oldest first, as the login role (`vrs.issuer_revocations`).
    public func revocations(kid: String, on client: PostgresClient) async throws -> [String] {
        let rows = try await client.query("SELECT rid FROM vrs.issuer_revocations(\(kid))", logger: logger)
        var rids: [String] = []
        for try await rid in rows.decode(String.self) { rids.append(rid) }
        return rids
    }
}
