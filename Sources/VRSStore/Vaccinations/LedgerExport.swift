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

/// One person of the ledger in the VRS 予防接種台帳向け shape: the address number, then one group
/// per recorded dose, oldest first (domain.md §3).
public struct LedgerPerson: Sendable, Equatable {
    public var addressNumber: String
    public var doses: [Dose]

    /// 登録日時 (YYYYMMDDHHMMSS, Japan time), 接種日 (YYYYMMDD), 券番号, 接種自治体コード, 接種会場名,
    /// 接種医師名, ワクチンメーカー, ロット番号: a copy brought by a transfer inquiry names its origin.
    public struct Dose: Sendable, Equatable {
        public var registeredAt: String
        public var vaccinatedOn: String
        public var couponNumber: String?
        public var municipalityCode: String
        public var siteName: String?
        public var doctorName: String?
        public var maker: String
        public var lotNumber: String
    }
}

extension LedgerExport {
    /// The most recorded doses any current registration has: the number of dose groups in the header.
    public func maxDoses(in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT coalesce(max(n), 0)::int FROM (
                SELECT count(*) AS n FROM vrs.vaccination v
                 WHERE v.municipality_code = \(municipality) AND v.state = 'recorded' AND v.person_id IS NOT NULL
                 GROUP BY v.person_id) d
            """, logger: logger)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    /// Calls `person` for each current registration (all, or those changed `since`: the person,
    /// a dose recorded, or any traced change), in address-number order, streaming row by row.
    public func eachPerson(in municipality: MunicipalityCode, since: Date?, on connection: PostgresConnection,
                           _ person: (LedgerPerson) async throws -> Void) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT p.address_number, p.person_id,
                   to_char(v.recorded_at AT TIME ZONE 'Asia/Tokyo', 'YYYYMMDDHH24MISS'), to_char(v.vaccinated_on, 'YYYYMMDD'),
                   coalesce(v.coupon_number, v.origin_coupon_number)::text, coalesce(v.origin_municipality_code, v.municipality_code)::text,
                   v.site_name, v.doctor_name, vp.maker, v.lot_number
              FROM vrs.person p
              LEFT JOIN vrs.vaccination v ON v.municipality_code = \(municipality) AND v.person_id = p.person_id AND v.state = 'recorded'
              LEFT JOIN vrs.vaccine_product vp ON vp.code = v.product_code
             WHERE p.municipality_code = \(municipality) AND p.merged_into IS NULL
               AND (\(since)::timestamptz IS NULL OR p.updated_at >= \(since)
                    OR EXISTS (SELECT 1 FROM vrs.vaccination s WHERE s.municipality_code = \(municipality) AND s.person_id = p.person_id
                                                               AND s.recorded_at >= \(since))
                    OR EXISTS (SELECT 1 FROM vrs.record_change c WHERE c.municipality_code = \(municipality)
                                                                 AND c.person_ids @> ARRAY[p.person_id] AND c.changed_at >= \(since)))
             ORDER BY p.address_number, p.person_id, v.vaccinated_on, v.dose, v.vaccination_id
            """, logger: logger)
        var current: (id: UUID, person: LedgerPerson)?
        var count = 0
        for try await (address, id, registered, on, coupon, code, site, doctor, maker, lot)
            in rows.decode((String, UUID, String?, String?, String?, String?, String?, String?, String?, String?).self) {
            if current?.id != id {
                if let done = current { try await person(done.person); count += 1 }
                current = (id, LedgerPerson(addressNumber: address, doses: []))
            }
            if let registered, let on, let code, let lot {
                current?.person.doses.append(.init(registeredAt: registered, vaccinatedOn: on, couponNumber: coupon, municipalityCode: code,
                                                   siteName: site, doctorName: doctor, maker: maker ?? "", lotNumber: lot))
            }
        }
        if let done = current { try await person(done.person); count += 1 }
        return count
    }
}
