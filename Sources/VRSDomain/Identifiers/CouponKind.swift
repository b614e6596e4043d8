/// The coupon kind (券種), one digit. Its code values are not public, so which ones a deployment
/// accepts is configuration (`CouponCode.init(_:allowedKinds:)`), not code.
public struct CouponKind: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The digit, 0–9.
    public let digit: Int

    /// Every possible kind, the default when nothing narrower is configured.
    public static let all: Set<CouponKind> = Set((0...9).map { CouponKind(unchecked: $0) })

    /// A kind from its digit; fails with `.outOfRange` outside 0–9.
    public init(_ digit: Int, field: String = "couponKind") throws(ValidationError) {
        guard (0...9).contains(digit) else {
            throw ValidationError(field: field, rule: .outOfRange(position: 1, allowed: 0...9))
        }
        self.digit = digit
    }

    init(unchecked digit: Int) {
        self.digit = digit
    }

    /// The digit as text.
    public var description: String { String(digit) }

    /// Orders by digit.
    public static func < (lhs: CouponKind, rhs: CouponKind) -> Bool { lhs.digit < rhs.digit }
}

extension CouponKind: Codable {
    /// Decodes from a JSON integer 0–9.
    public init(from decoder: any Decoder) throws {
        let digit = try decoder.singleValueContainer().decode(Int.self)
        try self.init(digit, field: decoder.fieldName ?? "couponKind")
    }

    /// Encodes the digit as a JSON integer.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digit)
    }
}
