/// The 18-digit OCR line of a vaccination coupon (接種券): 券種(1) + 回数(1) + 市町村コード(6) + 券番号(10).
///
/// No check digit covers the whole line; the municipality code's own check digit is the only guard
/// against OCR misreads, so it is always verified.
public struct CouponCode: Sendable, Hashable, CustomStringConvertible {
    /// The default API field name used in validation errors.
    public static let defaultField = "couponCode"
    /// Where the municipality code sits in the line (1-based).
    public static let municipalityPositions = 3...8

    /// 券種: the coupon kind.
    public let kind: CouponKind
    /// 回数: the dose the coupon is for, 1–9.
    public let dose: Int
    /// The issuing municipality, and so the tenant the record belongs to.
    public let municipality: MunicipalityCode
    /// 券番号: unique within `municipality`.
    public let number: CouponNumber

    /// Parses a line read by OCR or from the QR code; errors give positions within the 18 digits.
    public init(
        _ text: String,
        allowedKinds: Set<CouponKind> = CouponKind.all,
        field: String = CouponCode.defaultField
    ) throws(ValidationError) {
        let values = try DigitInput.digits(text, field: field)
        guard values.count == 18 else {
            throw ValidationError(field: field, rule: .length(expected: [18], actual: values.count))
        }
        let kind = CouponKind(unchecked: Int(values[0]))
        guard allowedKinds.contains(kind) else {
            throw ValidationError(field: field, rule: .notAllowed(position: 1))
        }
        guard values[1] != 0 else {
            throw ValidationError(field: field, rule: .outOfRange(position: 2, allowed: 1...9))
        }
        do {
            municipality = try MunicipalityCode(digits: Array(values[2..<8]), field: field)
        } catch {
            let segment = ValidationSegment(name: "municipality code", positions: Self.municipalityPositions)
            throw error.with(field: field, offset: 2, segment: segment)
        }
        self.kind = kind
        dose = Int(values[1])
        number = CouponNumber(uncheckedRawValue: DigitInput.string(values[8...]))
    }

    /// Assembles a line from its parts, e.g. to print a coupon; fails if `dose` is not 1–9.
    public init(
        kind: CouponKind, dose: Int, municipality: MunicipalityCode, number: CouponNumber
    ) throws(ValidationError) {
        guard (1...9).contains(dose) else {
            throw ValidationError(field: "dose", rule: .outOfRange(position: 1, allowed: 1...9))
        }
        self.kind = kind
        self.dose = dose
        self.municipality = municipality
        self.number = number
    }

    /// The 18 digits.
    public var rawValue: String { "\(kind.digit)\(dose)\(municipality.rawValue)\(number.rawValue)" }

    /// The 18 digits.
    public var description: String { rawValue }
}

extension CouponCode: DigitIdentifier {
    /// Parses accepting every coupon kind (what JSON decoding uses); narrow kinds where configuration is known.
    public init(_ text: String, field: String) throws(ValidationError) {
        try self.init(text, allowedKinds: CouponKind.all, field: field)
    }
}
