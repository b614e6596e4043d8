import Testing
import VRSDomain

@Suite("Individual Number: parsing and check digit")
struct IndividualNumberTests {
    static let workedExamples = ["123456789018", "983205673214", "123456789000", "000000000019"]

    @Test("worked examples from domain.md are valid", arguments: workedExamples)
    func workedExample(_ text: String) throws {
        let number = try IndividualNumber(text)
        #expect(number.revealDigits() == text)
    }

    @Test("every other check digit on a worked example is rejected at position 12", arguments: workedExamples)
    func alteredCheckDigit(_ text: String) {
        let valid = text.last!.wholeNumberValue!
        for digit in 0...9 where digit != valid {
            let altered = String(text.dropLast()) + String(digit)
            #expect(throws: ValidationError(field: "personalNumber", rule: .checkDigit(position: 12))) {
                try IndividualNumber(altered)
            }
        }
    }

    @Test("wrong lengths name the expected 12 and the actual count")
    func lengths() {
        #expect(throws: ValidationError(field: "personalNumber", rule: .length(expected: [12], actual: 11))) {
            try IndividualNumber("12345678901")
        }
        #expect(throws: ValidationError(field: "personalNumber", rule: .length(expected: [12], actual: 13))) {
            try IndividualNumber("1234567890180")
        }
        let error = #expect(throws: ValidationError.self) { try IndividualNumber("1234") }
        #expect(error?.message == "expected 12 digits, got 4")
    }

    @Test("a letter is reported at its position")
    func letter() {
        let error = #expect(throws: ValidationError.self) { try IndividualNumber("123A56789018") }
        #expect(error?.rule == .nonDigit(position: 4))
        #expect(error?.message == "non-digit character at position 4")
    }

    @Test("empty and blank input is .empty")
    func empty() {
        for text in ["", "   ", "\u{3000}\n"] {
            #expect(throws: ValidationError(field: "personalNumber", rule: .empty)) { try IndividualNumber(text) }
        }
    }

    @Test("full-width digits, hyphens and spaces normalise to the same number")
    func normalisation() throws {
        let plain = try IndividualNumber("123456789018")
        let variants = [
            "１２３４５６７８９０１８", "1234-5678-9018", "1234 5678 9018", "１２３４－５６７８－９０１８",
            "1234ー5678ー9018", "1234\u{3000}5678\u{3000}9018", "  1234-5678-9018\n", "1234 - 5678 - 9018",
        ]
        for text in variants {
            #expect(try IndividualNumber(text) == plain, "\(text.count) characters")
        }
    }

    @Test("separators are only accepted between digits")
    func separatorPlacement() {
        #expect(throws: ValidationError(field: "personalNumber", rule: .nonDigit(position: 1))) {
            try IndividualNumber("-123456789018")
        }
        #expect(throws: ValidationError(field: "personalNumber", rule: .nonDigit(position: 13))) {
            try IndividualNumber("123456789018-")
        }
        #expect(throws: ValidationError(field: "personalNumber", rule: .nonDigit(position: 5))) {
            try IndividualNumber("1234/5678/9018")
        }
    }

    @Test("the field can be re-labelled by the caller")
    func customField() {
        let error = #expect(throws: ValidationError.self) { try IndividualNumber("1", field: "numbers[3]") }
        #expect(error?.field == "numbers[3]")
    }

    @Test("checkDigit(for:) is public for generators")
    func checkDigitFunction() {
        #expect(IndividualNumber.checkDigit(for: [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1] as [UInt8]) == 8)
        #expect(IndividualNumber.checkDigit(for: [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0] as [UInt8]) == 0)
    }
}
