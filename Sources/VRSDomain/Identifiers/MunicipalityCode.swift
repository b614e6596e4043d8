/// A local government code (全国地方公共団体コード): 2 digits prefecture, 3 digits municipality, 1 check digit.
public struct MunicipalityCode: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The default API field name used in validation errors.
    public static let defaultField = "municipalityCode"

    /// The six digits, check digit included.
    public let rawValue: String

    /// Parses the 6-digit form (verifying its check digit) or the 5-digit form some datasets use
    /// (appending the computed check digit). Full-width digits are accepted.
    public init(_ text: String, field: String = MunicipalityCode.defaultField) throws(ValidationError) {
        let values = try DigitInput.digits(text, field: field)
        try self.init(digits: values, field: field)
    }

    /// Validates 5 or 6 digit values (0–9).
    init(digits values: [UInt8], field: String) throws(ValidationError) {
        switch values.count {
        case 5:
            rawValue = DigitInput.string(values + [Self.checkDigit(for: values)])
        case 6:
            guard Self.checkDigit(for: values.prefix(5)) == values[5] else {
                throw ValidationError(field: field, rule: .checkDigit(position: 6))
            }
            rawValue = DigitInput.string(values)
        default:
            throw ValidationError(field: field, rule: .length(expected: [5, 6], actual: values.count))
        }
    }

    /// The two-digit prefecture code (JIS X 0401), e.g. "12" for 千葉県.
    public var prefectureCode: String { String(rawValue.prefix(2)) }

    /// The six digits.
    public var description: String { rawValue }

    /// Orders codes as the official list does (by prefecture, then municipality).
    public static func < (lhs: MunicipalityCode, rhs: MunicipalityCode) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The check digit for digits 1–5: weights 6,5,4,3,2, then the last digit of 11 − (Σ mod 11).
    public static func checkDigit(for base5: some Collection<UInt8>) -> UInt8 {
        precondition(base5.count == 5, "a municipality code base has 5 digits")
        return UInt8((11 - weightedRemainder(base5)) % 10)
    }

    /// Σ digit × weight mod 11 over digits 1–5; exposed to tests to reason about undetected errors.
    static func weightedRemainder(_ base5: some Collection<UInt8>) -> Int {
        var sum = 0
        for (digit, weight) in zip(base5, [6, 5, 4, 3, 2]) { sum += Int(digit) * weight }
        return sum % 11
    }
}

extension MunicipalityCode: DigitIdentifier {}
