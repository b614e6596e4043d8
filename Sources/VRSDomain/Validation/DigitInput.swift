/// Turns typed or pasted text into digit values, the one place input normalisation is decided.
///
/// Surrounding whitespace is trimmed; positions in errors count characters of the trimmed text, so
/// they match what a user sees in the field. Full-width digits (０–９) count as digits because
/// Japanese input methods produce them by default.
enum DigitInput {
    /// Digit values (0–9) of `text`; with `separators`, spaces and hyphens between digits are dropped.
    static func digits(
        _ text: String, field: String, separators: Bool = false
    ) throws(ValidationError) -> [UInt8] {
        let trimmed = trim(text)
        guard !trimmed.isEmpty else { throw ValidationError(field: field, rule: .empty) }
        var digits: [UInt8] = []
        digits.reserveCapacity(18)
        // A separator is only accepted between digits; remember the last one to reject a trailing one.
        var trailingSeparator: Int?
        for (offset, character) in trimmed.enumerated() {
            let position = offset + 1
            if let digit = digitValue(character) {
                digits.append(digit)
                trailingSeparator = nil
            } else if separators, !digits.isEmpty, isSeparator(character) {
                trailingSeparator = trailingSeparator ?? position
            } else {
                throw ValidationError(field: field, rule: .nonDigit(position: position))
            }
        }
        if let trailingSeparator {
            throw ValidationError(field: field, rule: .nonDigit(position: trailingSeparator))
        }
        return digits
    }

    /// `text` without leading or trailing whitespace (including the full-width space and newlines).
    static func trim(_ text: String) -> Substring {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return text[text.endIndex...] }
        return text[first...last]
    }

    /// The value of an ASCII or full-width digit; nil for anything else (other scripts' digits included).
    static func digitValue(_ character: Character) -> UInt8? {
        let scalars = character.unicodeScalars
        guard scalars.count == 1, let scalar = scalars.first else { return nil }
        switch scalar.value {
        case 0x30...0x39: return UInt8(scalar.value - 0x30)
        case 0xFF10...0xFF19: return UInt8(scalar.value - 0xFF10)
        default: return nil
        }
    }

    // Hyphen look-alikes that IMEs and word processors substitute for "-", and the spaces people group with.
    private static let separatorScalars: Set<UInt32> = [
        0x20, 0x3000,                   // space, full-width space
        0x2D, 0x2010, 0x2011, 0x2012, 0x2013, 0x2212,  // hyphen-minus, hyphens, en dash, minus
        0xFF0D, 0x30FC, 0xFF70,         // full-width hyphen-minus, katakana long vowel marks
    ]

    private static func isSeparator(_ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        guard scalars.count == 1, let scalar = scalars.first else { return false }
        return separatorScalars.contains(scalar.value)
    }

    /// ASCII text of digit values, built without intermediate strings.
    static func string(_ digits: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: digits.count, initializingUTF8With: { buffer in
            for (index, digit) in digits.enumerated() { buffer[index] = 0x30 &+ digit }
            return digits.count
        })
    }
}
