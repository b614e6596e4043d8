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
}
