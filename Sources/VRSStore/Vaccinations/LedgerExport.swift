import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// One line of the ledger (接種台帳): a recorded dose with the person it is recorded for (empty
/// while the dose waits for its coupon to be registered).
public struct LedgerLine: Sendable, Equatable {
    public var addressNumber: String?
    public var name: String?
    public var nameKana: String?
    public var birthDate: String?
    public var sex: String?
    public var couponNumber: String?
    public var dose: Int
    public var vaccinatedOn: String
    public var product: String
    public var lotNumber: String
    public var siteName: String?
    public var doctorName: String?
    public var source: String
    public var flags: [String]
    public var vaccinationID: UUID
}

/// The municipality's ledger: every recorded dose once, where it is now. Voided and handed-over
/// doses are left out (they are in the history). Streamed row by row in the caller's transaction.
public struct LedgerExport: Sendable {
    let logger: Logger

    /// An export logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Calls `line` for each dose, in address-number order; returns how many there were.
    public func each(in municipality: MunicipalityCode, on connection: PostgresConnection,
                     _ line: (LedgerLine) async throws -> Void) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT p.address_number, p.family_name || '　' || p.given_name, p.family_name_kana || '　' || p.given_name_kana,
                   p.birth_date::text, p.sex::text, v.coupon_number::text, v.dose::int, v.vaccinated_on::text, v.product_code,
                   v.lot_number, v.site_name, v.doctor_name, v.source, v.flags, v.vaccination_id
              FROM vrs.vaccination v
              LEFT JOIN vrs.person p ON p.municipality_code = \(municipality) AND p.person_id = v.person_id
             WHERE v.municipality_code = \(municipality) AND v.state = 'recorded'
             ORDER BY p.address_number NULLS LAST, v.vaccinated_on, v.dose, v.vaccination_id
            """, logger: logger)
        var count = 0
        for try await (address, name, kana, birth, sex, coupon, dose, on, product, lot, site, doctor, source, flags, id) in rows.decode(
            (String?, String?, String?, String?, String?, String?, Int, String, String, String, String?, String?, String, [String], UUID).self) {
            try await line(LedgerLine(addressNumber: address, name: name, nameKana: kana, birthDate: birth, sex: sex, couponNumber: coupon,
                                      dose: dose, vaccinatedOn: on, product: product, lotNumber: lot, siteName: site, doctorName: doctor,
                                      source: source, flags: flags, vaccinationID: id))
            count += 1
        }
        return count
    }
}
