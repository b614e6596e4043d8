/// A coupon number (券番号): 10 digits, unique within the issuing municipality only.
public struct CouponNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The default API field name used in validation errors.
    public static let defaultField = "couponNumber"

    /// The ten digits.
    public let rawValue: String

    /// Parses exactly 10 digits (full-width accepted, surrounding whitespace trimmed).
    public init(_ text: String, field: String = CouponNumber.defaultField) throws(ValidationError) {
        let values = try DigitInput.digits(text, field: field)
        try self.init(digits: values, field: field)
    }

    /// Validates 10 digit values (0–9).
    init(digits values: some Collection<UInt8>, field: String) throws(ValidationError) {
        guard values.count == 10 else {
            throw ValidationError(field: field, rule: .length(expected: [10], actual: values.count))
        }
        rawValue = DigitInput.string(values)
    }

    /// For generators; `rawValue` must be 10 ASCII digits.
    init(uncheckedRawValue rawValue: String) {
        self.rawValue = rawValue
    }

    /// The ten digits.
    public var description: String { rawValue }

    /// Orders by the digits (equal length, so also numerically).
    public static func < (lhs: CouponNumber, rhs: CouponNumber) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension CouponNumber: DigitIdentifier {}
