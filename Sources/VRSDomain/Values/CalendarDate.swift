/// A date in the proleptic Gregorian calendar without time or time zone (birth dates, 接種日).
///
/// Foundation's `Date` is an instant; converting one to a day depends on a time zone, and a birth
/// date must not shift by a day when a server runs in UTC.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The default API field name used in validation errors.
    public static let defaultField = "date"

    /// The year, 1–9999.
    public let year: Int
    /// The month, 1–12.
    public let month: Int
    /// The day of the month, 1–28…31.
    public let day: Int

    /// A validated date; errors use the positions of the `YYYY-MM-DD` form.
    public init(year: Int, month: Int, day: Int, field: String = CalendarDate.defaultField) throws(ValidationError) {
        try self.init(year: year, month: month, day: day, field: field, positions: (1, 6, 9))
    }

    /// Validates the parts; `positions` says where year, month and day start in the text they came from.
    private init(year: Int, month: Int, day: Int, field: String, positions: (Int, Int, Int)) throws(ValidationError) {
        guard (1...9999).contains(year) else {
            throw ValidationError(field: field, rule: .outOfRange(position: positions.0, allowed: 1...9999))
        }
        guard (1...12).contains(month) else {
            throw ValidationError(field: field, rule: .outOfRange(position: positions.1, allowed: 1...12))
        }
        let length = Self.daysInMonth(year: year, month: month)
        guard (1...length).contains(day) else {
            throw ValidationError(field: field, rule: .outOfRange(position: positions.2, allowed: 1...length))
        }
        self.init(unchecked: year, month, day)
    }

    /// Parses `YYYY-MM-DD` or `YYYYMMDD` (the ledger export's 接種日); full-width digits are accepted.
    public init(_ text: String, field: String = CalendarDate.defaultField) throws(ValidationError) {
        let trimmed = Array(DigitInput.trim(text))
        guard !trimmed.isEmpty else { throw ValidationError(field: field, rule: .empty) }
        guard trimmed.count == 8 || trimmed.count == 10 else {
            throw ValidationError(field: field, rule: .length(expected: [8, 10], actual: trimmed.count))
        }
        let dashed = trimmed.count == 10
        var values: [Int] = []
        for (offset, character) in trimmed.enumerated() {
            if dashed, offset == 4 || offset == 7 {
                guard character == "-" else { throw ValidationError(field: field, rule: .separator(position: offset + 1)) }
                continue
            }
            guard let digit = DigitInput.digitValue(character) else {
                throw ValidationError(field: field, rule: .nonDigit(position: offset + 1))
            }
            values.append(Int(digit))
        }
        func number(_ range: Range<Int>) -> Int { values[range].reduce(0) { $0 * 10 + $1 } }
        let (year, month, day) = (number(0..<4), number(4..<6), number(6..<8))
        try self.init(year: year, month: month, day: day, field: field, positions: dashed ? (1, 6, 9) : (1, 5, 7))
    }

    init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`.
    public var description: String { Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2) }

    /// `YYYYMMDD`, as the ledger export writes 接種日.
    public var compactDescription: String { Self.pad(year, 4) + Self.pad(month, 2) + Self.pad(day, 2) }

    /// Orders chronologically.
    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Whether `year` has a 29 February.
    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The number of days in `month` of `year`.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
