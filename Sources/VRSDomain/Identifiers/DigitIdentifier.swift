/// An identifier written as a string of digits and validated on the way in: Codable as that
/// string, with decoding errors naming the JSON key as the field.
public protocol DigitIdentifier: Codable {
    /// The API field name used in validation errors when no JSON key is known.
    static var defaultField: String { get }
    /// The digits.
    var rawValue: String { get }
    /// Parses and validates, naming `field` in errors.
    init(_ text: String, field: String) throws(ValidationError)
}

extension DigitIdentifier {
    /// Decodes from a JSON string; errors name the JSON key as the field.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text, field: decoder.fieldName ?? Self.defaultField)
    }

    /// Encodes the digits as a string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
