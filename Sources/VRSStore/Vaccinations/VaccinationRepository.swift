import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// A dose as it is to be recorded: what the tablet or the staff member read and typed.
public struct DoseReport: Sendable {
    public var couponCode: String
    public var vaccinatedOn: CalendarDate
    public var product: String
    public var lotNumber: String
    public var siteName: String?
    public var doctorName: String?
    public var clientRecordID: String?

    /// Gathers a report.
    public init(couponCode: String, vaccinatedOn: CalendarDate, product: String, lotNumber: String,
                siteName: String?, doctorName: String?, clientRecordID: String?) {
        self.couponCode = couponCode
        self.vaccinatedOn = vaccinatedOn
        self.product = product
        self.lotNumber = lotNumber
        self.siteName = siteName
        self.doctorName = doctorName
        self.clientRecordID = clientRecordID
    }
}

/// What a dose door answered. Never a name, a number or a date of birth.
public struct DoseOutcome: Sendable, Codable, Equatable {
    public var result: String
    public var flags: [String]
    public var municipalityCode: String?
    public var municipalityName: String?
    public var dose: Int
    public var couponKind: Int?
    public var vaccinationId: UUID?
    public var personId: UUID?
}

/// A stored dose, for a person's record or the pending list.
public struct VaccinationRecord: Sendable, Codable, Equatable {
    public var vaccinationId: UUID
    public var couponNumber: String?
    public var dose: Int
    public var vaccinatedOn: String
    public var product: String
    public var lotNumber: String
    public var siteName: String?
    public var doctorName: String?
    public var source: String
    public var flags: [String]
    public var recordedAt: Date
    /// Raised on every traced change (migration 0012): the dose's ETag.
    public var version: Int
    /// `recorded` counts; `voided` and `moved` (handed over) stay for the history only.
    public var state: String
    /// Where a handed-over dose went, by code and name.
    public var movedToCode: String?
    public var movedToName: String?
    /// The municipality that handed this dose over, if one did.
    public var receivedFromCode: String?
    /// The person the dose is recorded for; nil while it waits for its coupon.
    public var personId: UUID?
    /// On a copy a transfer inquiry brought: the municipality that gave the dose, its coupon
    /// number there, and the inquiry (provision record) that brought it.
    public var originMunicipalityCode: String? = nil
    public var originCouponNumber: String? = nil
    public var inquiryId: UUID? = nil
}

/// Doses: the tablet door (cross-municipality, through a SECURITY DEFINER function), the staff
/// door (own municipality), and reads for a person and for the pending list.
public struct VaccinationRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// A tablet's dose, in one round trip outside any transaction: the function checks the device
    /// token itself and stores the dose in the municipality the coupon code names.
    public func recordFromTablet(_ report: DoseReport, tokenHash: Data, requestID: String, on client: PostgresClient) async throws -> DoseOutcome {
        do {
            let rows = try await client.query(
                """
                SELECT result, flags, municipality_code::text, municipality_name, dose::int, coupon_kind::int
                  FROM vrs.tablet_record_vaccination(\(tokenHash), \(report.couponCode), \(report.vaccinatedOn.description)::date,
                       \(report.product), \(report.lotNumber), \(report.siteName), \(report.doctorName), \(report.clientRecordID), \(requestID))
                """, logger: logger)
            for try await (result, flags, code, name, dose, kind) in rows.decode((String, [String], String, String?, Int, Int).self) {
                return DoseOutcome(result: result, flags: flags, municipalityCode: code, municipalityName: name, dose: dose, couponKind: kind)
            }
        } catch {
            throw translated(error)
        }
        throw StoreError.doseRefused(.deviceNotValid, message: "no answer", hint: nil)
    }

    /// A staff member's dose (source `staff`, or `import` for a file) in the caller's transaction.
    public func recordByStaff(_ report: DoseReport, source: String, actor: String, requestID: String, on connection: PostgresConnection) async throws -> DoseOutcome {
        do {
            let rows = try await connection.query(
                """
                SELECT result, flags, vaccination_id, person_id, dose::int
                  FROM vrs.staff_record_vaccination(\(report.couponCode), \(report.vaccinatedOn.description)::date, \(report.product),
                       \(report.lotNumber), \(report.siteName), \(report.doctorName), \(report.clientRecordID), \(source), \(actor), \(requestID))
                """, logger: logger)
            for try await (result, flags, id, person, dose) in rows.decode((String, [String], UUID?, UUID?, Int).self) {
                return DoseOutcome(result: result, flags: flags, dose: dose, vaccinationId: id, personId: person)
            }
        } catch {
            throw translated(error)
        }
        throw StoreError.doseRefused(.malformedCode, message: "no answer", hint: nil)
    }

    /// The products a dose may name, with the day each was approved in Japan.
    public func products(on connection: PostgresConnection) async throws -> [String: CalendarDate] {
        var products: [String: CalendarDate] = [:]
        let rows = try await connection.query("SELECT code, approved_on::text FROM vrs.vaccine_product", logger: logger)
        for try await (code, approved) in rows.decode((String, String).self) { products[code] = try CalendarDate(approved) }
        return products
    }

    /// A person's doses, oldest first, voided and handed-over ones included (they carry their state).
    public func list(of personID: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> [VaccinationRecord] {
        try await records(
            """
            SELECT \(unescaped: Self.columns) FROM vrs.vaccination v \(unescaped: Self.destination)
            WHERE v.municipality_code = \(municipality) AND v.person_id = \(personID) ORDER BY v.vaccinated_on, v.dose, v.recorded_at
            """,
            on: connection)
    }

    /// One dose of the municipality, in whatever state.
    public func find(id: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> VaccinationRecord? {
        try await records(
            """
            SELECT \(unescaped: Self.columns) FROM vrs.vaccination v \(unescaped: Self.destination)
            WHERE v.municipality_code = \(municipality) AND v.vaccination_id = \(id)
            """,
            on: connection).first
    }

    /// Tablet records waiting for their coupon to be registered, oldest first (recorded ones: a
    /// voided or handed-over record waits for nothing).
    public func pending(in municipality: MunicipalityCode, limit: Int, on connection: PostgresConnection) async throws -> [VaccinationRecord] {
        var result: [VaccinationRecord] = []
        try await eachPending(in: municipality, limit: limit, on: connection) { result.append($0) }
        return result
    }

    /// The pending list streamed row by row (the export), oldest first.
    public func eachPending(in municipality: MunicipalityCode, limit: Int? = nil, on connection: PostgresConnection,
                            _ body: (VaccinationRecord) async throws -> Void) async throws {
        try await stream(
            """
            SELECT \(unescaped: Self.columns) FROM vrs.vaccination v \(unescaped: Self.destination)
            WHERE v.municipality_code = \(municipality) AND v.person_id IS NULL AND v.state = 'recorded'
            ORDER BY v.recorded_at, v.vaccination_id LIMIT \(limit)
            """,
            on: connection, body)
    }

    static let columns = """
        v.vaccination_id, v.coupon_number::text, v.dose::int, v.vaccinated_on::text, v.product_code, v.lot_number, v.site_name,
        v.doctor_name, v.source, v.flags, v.recorded_at, v.version, v.state, v.moved_to_code::text, d.name, v.received_from_code::text,
        v.person_id, v.origin_municipality_code::text, v.origin_coupon_number::text, v.inquiry_id
        """
    /// The directory (reference data every municipal role reads) names where a dose was handed over to.
    static let destination = "LEFT JOIN vrs.municipality_directory d ON d.code = v.moved_to_code"

    private func records(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [VaccinationRecord] {
        var result: [VaccinationRecord] = []
        try await stream(query, on: connection) { result.append($0) }
        return result
    }

    private func stream(_ query: PostgresQuery, on connection: PostgresConnection, _ body: (VaccinationRecord) async throws -> Void) async throws {
        let rows = try await connection.query(query, logger: logger)
        for try await (id, coupon, dose, on, product, lot, site, doctor, source, flags, at, version, state, movedTo, movedToName, from, person,
                       origin, originCoupon, inquiry)
            in rows.decode((UUID, String?, Int, String, String, String, String?, String?, String, [String], Date, Int, String, String?, String?,
                            String?, UUID?, String?, String?, UUID?).self) {
            try await body(VaccinationRecord(vaccinationId: id, couponNumber: coupon, dose: dose, vaccinatedOn: on, product: product,
                                            lotNumber: lot, siteName: site, doctorName: doctor, source: source, flags: flags, recordedAt: at,
                                            version: version, state: state, movedToCode: movedTo, movedToName: movedToName,
                                            receivedFromCode: from, personId: person, originMunicipalityCode: origin,
                                            originCouponNumber: originCoupon, inquiryId: inquiry))
        }
    }
}
