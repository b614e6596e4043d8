import Foundation
import Logging
import PostgresNIO
import VRSDomain

/// A coupon (接種券) to register for a person.
public struct NewCoupon: Sendable {
    public var personID: UUID
    public var number: CouponNumber
    public var kind: CouponKind
    public var dose: Int?

    /// Gathers the fields of a coupon.
    public init(personID: UUID, number: CouponNumber, kind: CouponKind, dose: Int? = nil) {
        self.personID = personID
        self.number = number
        self.kind = kind
        self.dose = dose
    }
}

/// Coupons of one municipality; numbers are unique within it.
public struct CouponRepository: Sendable {
    let logger: Logger

    /// A repository logging to `logger`.
    public init(logger: Logger) { self.logger = logger }

    /// Registers coupons in one statement.
    public func insert(_ coupons: [NewCoupon], into municipality: MunicipalityCode, on connection: PostgresConnection) async throws {
        guard !coupons.isEmpty else { return }
        do {
            try await connection.query(
                """
                INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind, dose)
                SELECT \(municipality), person, number, kind, nullif(dose, 0)
                FROM unnest(\(coupons.map(\.personID))::uuid[], \(coupons.map(\.number.rawValue))::text[],
                            \(coupons.map { $0.kind.digit })::int[], \(coupons.map { $0.dose ?? 0 })::int[])
                     AS t(person, number, kind, dose)
                """,
                logger: logger)
        } catch {
            throw translated(error)
        }
    }

    /// The coupon numbers registered for a person, oldest first.
    public func numbers(of personID: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.query(
            """
            SELECT coupon_number::text FROM vrs.coupon
            WHERE municipality_code = \(municipality) AND person_id = \(personID) ORDER BY created_at, coupon_number
            """,
            logger: logger)
        var numbers: [String] = []
        for try await number in rows.decode(String.self) { numbers.append(number) }
        return numbers
    }

    /// A person's coupons, oldest first.
    public func list(of personID: UUID, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws -> [CouponRecord] {
        let rows = try await connection.query(
            """
            SELECT coupon_number::text, kind::int, dose::int, status, issued_on::text FROM vrs.coupon
            WHERE municipality_code = \(municipality) AND person_id = \(personID) ORDER BY created_at, coupon_number
            """,
            logger: logger)
        var coupons: [CouponRecord] = []
        for try await (number, kind, dose, status, issued) in rows.decode((String, Int, Int?, String, String?).self) {
            coupons.append(CouponRecord(couponNumber: number, kind: kind, dose: dose, status: status, issuedOn: issued))
        }
        return coupons
    }

    /// Issues a coupon to a person; the person's active coupons become superseded by it (a reissue).
    /// Pending tablet records for the number are linked in the same transaction.
    public func issue(_ coupon: NewCoupon, in municipality: MunicipalityCode, on connection: PostgresConnection) async throws {
        try await connection.labelChanges("coupon.reissue", logger: logger)
        do {
            try await connection.perform(
                """
                WITH old AS (UPDATE vrs.coupon SET status = 'superseded'
                              WHERE municipality_code = \(municipality) AND person_id = \(coupon.personID) AND status = 'active'
                              RETURNING coupon_id)
                INSERT INTO vrs.coupon (municipality_code, person_id, coupon_number, kind, dose, supersedes_coupon_id, issued_on)
                SELECT \(municipality), \(coupon.personID), \(coupon.number.rawValue), \(coupon.kind.digit), \(coupon.dose),
                       (SELECT coupon_id FROM old LIMIT 1), current_date
                """,
                logger: logger)
            try await connection.perform("SELECT vrs.link_pending_vaccinations(\(municipality))", logger: logger)
        } catch {
            throw translated(error)
        }
    }
}

/// A coupon as a person's record shows it.
public struct CouponRecord: Sendable, Codable, Equatable {
    public var couponNumber: String
    public var kind: Int
    public var dose: Int?
    public var status: String
    public var issuedOn: String?
}
