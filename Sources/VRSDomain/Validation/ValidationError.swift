import Foundation

/// An input that failed validation: which API field, which rule, and a message safe to show and log.
///
/// The message is derived from the rule alone, never from the input, so an invalid Individual Number
/// cannot leak through an error response or a log line.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    /// The API field name the value came from (e.g. "personalNumber", "couponCode").
    public var field: String
    /// The rule that failed.
    public var rule: ValidationRule
    /// Set when the failing value is part of a longer one (positions in `rule` are then in the outer value).
    public var segment: ValidationSegment?

    /// Creates an error for `field`.
    public init(field: String, rule: ValidationRule, segment: ValidationSegment? = nil) {
        self.field = field
        self.rule = rule
        self.segment = segment
    }

    /// Plain-English text naming what failed and where, e.g. "check digit does not match (position 12)".
    public var message: String {
        guard let segment else { return rule.message }
        let range = "\(segment.positions.lowerBound)–\(segment.positions.upperBound)"
        return "\(segment.name) (positions \(range)): \(rule.message)"
    }

    /// `field: message`, for logs.
    public var description: String { "\(field): \(message)" }

    /// Foundation's text for the error, so `localizedDescription` is useful too.
    public var errorDescription: String? { description }

    /// Re-labels an error of a nested value: new field, positions moved by `offset`, and the part it was.
    public func with(field: String, offset: Int = 0, segment: ValidationSegment? = nil) -> ValidationError {
        ValidationError(field: field, rule: rule.shifted(by: offset), segment: segment ?? self.segment)
    }
}
