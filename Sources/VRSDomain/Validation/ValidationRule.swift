/// The rule an input broke; positions are 1-based, counted in characters of the trimmed input.
public enum ValidationRule: Sendable, Hashable {
    /// Nothing but whitespace was given.
    case empty
    /// Wrong number of digits; `expected` lists every accepted length (e.g. `[5, 6]`).
    case length(expected: [Int], actual: Int)
    /// A character that is neither a digit nor an accepted separator.
    case nonDigit(position: Int)
    /// A separator (`-` in a date) was expected at this position.
    case separator(position: Int)
    /// The check digit at this position does not match the digits before it.
    case checkDigit(position: Int)
    /// The number starting at this position lies outside `allowed`.
    case outOfRange(position: Int, allowed: ClosedRange<Int>)
    /// A well-formed code at this position that the caller's configuration does not accept.
    case notAllowed(position: Int)
    /// A well-formed municipality code that is not in the official list.
    case unknownMunicipality
    /// A municipality of this kind cannot hold its own vaccination ledger.
    case notATenant(MunicipalityKind)
    /// Longer than the field allows.
    case tooLong(max: Int)
    /// A value outside a fixed list (the list is safe to show: codes, not personal data).
    case notOneOf([String])
    /// A name that is not a family and a given name separated by a space.
    case nameParts
    /// A municipality code other than the caller's own.
    case otherMunicipality
    /// A date after today.
    case future
    /// A date before the earliest one accepted.
    case tooEarly(String)
    /// The same key as an earlier line of the same file.
    case duplicate(ofLine: Int)
    /// Text that is not valid in the file's encoding.
    case encoding(String)
    /// Contradicts what is registered already (the message says what, never the value).
    case conflict(String)
    /// Not a value of the expected form (the form is safe to show, e.g. "a person id (UUID)").
    case malformed(expected: String)

    /// Plain-English text; built only from the rule so it can never echo the input.
    public var message: String {
        switch self {
        case .empty:
            "value is empty"
        case let .length(expected, actual):
            "expected \(Self.alternatives(expected)) digits, got \(actual)"
        case let .nonDigit(position):
            "non-digit character at position \(position)"
        case let .separator(position):
            "expected '-' at position \(position)"
        case let .checkDigit(position):
            "check digit does not match (position \(position))"
        case let .outOfRange(position, allowed):
            "value at position \(position) must be between \(allowed.lowerBound) and \(allowed.upperBound)"
        case let .notAllowed(position):
            "code at position \(position) is not accepted here"
        case .unknownMunicipality:
            "not a municipality in the official list"
        case let .notATenant(kind):
            "a \(kind.englishName) cannot be a tenant"
        case let .tooLong(max):
            "longer than \(max) characters"
        case let .notOneOf(allowed):
            "must be one of \(allowed.joined(separator: ", "))"
        case .nameParts:
            "family and given name must be separated by a space (full- or half-width)"
        case .otherMunicipality:
            "not your municipality: a file may only register the caller's own municipality"
        case .future:
            "date is in the future"
        case let .tooEarly(earliest):
            "date is before \(earliest)"
        case let .duplicate(line):
            "same as line \(line) of this file"
        case let .encoding(name):
            "not valid \(name) text"
        case let .malformed(expected):
            "not \(expected)"
        case let .conflict(what):
            what
        }
    }

    /// The same rule with every position moved by `offset`, for a value nested in a longer one.
    public func shifted(by offset: Int) -> ValidationRule {
        switch self {
        case let .nonDigit(position): .nonDigit(position: position + offset)
        case let .separator(position): .separator(position: position + offset)
        case let .checkDigit(position): .checkDigit(position: position + offset)
        case let .outOfRange(position, allowed): .outOfRange(position: position + offset, allowed: allowed)
        case let .notAllowed(position): .notAllowed(position: position + offset)
        case .empty, .length, .unknownMunicipality, .notATenant, .tooLong, .notOneOf, .nameParts, .otherMunicipality,
             .future, .tooEarly, .duplicate, .encoding, .conflict, .malformed: self
        }
    }

    private static func alternatives(_ lengths: [Int]) -> String {
        guard let last = lengths.last else { return "no" }
        let head = lengths.dropLast().map(String.init)
        return head.isEmpty ? "\(last)" : head.joined(separator: ", ") + " or \(last)"
    }
}
