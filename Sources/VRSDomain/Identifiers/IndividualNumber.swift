/// A 12-digit Individual Number (個人番号, "My Number") whose check digit has been verified.
///
/// It prints only as `********9018` (description, debug description, mirror, `dump`) and is
/// deliberately not `Encodable`: the full number leaves the value only through `revealDigits()`.
public struct IndividualNumber: Sendable, Hashable {
    /// The default API field name used in validation errors.
    public static let defaultField = "personalNumber"

    // Twelve ASCII digits; a small string, so no heap allocation per number.
    private let digits: String

    /// Parses a typed or pasted number: full-width digits, spaces and hyphens between digits are accepted.
    public init(_ text: String, field: String = IndividualNumber.defaultField) throws(ValidationError) {
        let values = try DigitInput.digits(text, field: field, separators: true)
        guard values.count == 12 else {
            throw ValidationError(field: field, rule: .length(expected: [12], actual: values.count))
        }
        guard Self.checkDigit(for: values.prefix(11)) == values[11] else {
            throw ValidationError(field: field, rule: .checkDigit(position: 12))
        }
        digits = DigitInput.string(values)
    }

    /// For generators that computed the check digit themselves; `digits` must be 12 valid ASCII digits.
    init(uncheckedDigits digits: String) {
        self.digits = digits
    }

    /// The full 12 digits. Named so that every place that needs the real number (encryption,
    /// a blind index, a transfer inquiry) is visible in review and greppable; never log the result.
    public func revealDigits() -> String { digits }

    /// The number with all but the last four digits hidden: `********9018`.
    public var masked: String { "********" + digits.suffix(4) }

    /// The check digit for digits 1–11 (weights 6,5,4,3,2,7,6,5,4,3,2; r = Σ mod 11; 0 if r ≤ 1, else 11 − r).
    public static func checkDigit(for base11: some Collection<UInt8>) -> UInt8 {
        precondition(base11.count == 11, "an Individual Number base has 11 digits")
        let remainder = weightedRemainder(base11)
        return remainder <= 1 ? 0 : UInt8(11 - remainder)
    }

    /// Σ digit × weight mod 11 over digits 1–11; exposed to tests to reason about undetected errors.
    static func weightedRemainder(_ base11: some Collection<UInt8>) -> Int {
        var sum = 0
        for (digit, weight) in zip(base11, weights) { sum += Int(digit) * weight }
        return sum % 11
    }

    private static let weights = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
}

extension IndividualNumber: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The masked form; string interpolation and `print` show only this.
    public var description: String { masked }

    /// The masked form, so `String(reflecting:)`, collections and optionals stay masked too.
    public var debugDescription: String { masked }

    /// A mirror with the mask as its only child, so `dump` and reflection never reach the digits.
    public var customMirror: Mirror {
        Mirror(self, children: ["masked": masked], displayStyle: .struct)
    }
}

extension IndividualNumber: Decodable {
    /// Decodes from a JSON string and validates it; errors name the JSON key as the field.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text, field: decoder.fieldName ?? Self.defaultField)
    }
}
