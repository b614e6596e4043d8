import Foundation
import Testing
import VRSDomain

@Suite("Municipality code")
struct MunicipalityCodeTests {
    static let workedExamples = ["121002", "131016", "011002", "131041", "131130", "120006"]

    @Test("worked examples from domain.md are valid", arguments: workedExamples)
    func workedExample(_ text: String) throws {
        #expect(try MunicipalityCode(text).rawValue == text)
        #expect(try MunicipalityCode(String(text.prefix(5))).rawValue == text)
    }

    @Test("every other check digit is rejected at position 6", arguments: workedExamples)
    func alteredCheckDigit(_ text: String) {
        for digit in 0...9 where digit != text.last!.wholeNumberValue! {
            #expect(throws: ValidationError(field: "municipalityCode", rule: .checkDigit(position: 6))) {
                try MunicipalityCode(String(text.prefix(5)) + String(digit))
            }
        }
    }

    @Test("lengths other than 5 or 6, letters and empty input are precise")
    func malformed() {
        #expect(throws: ValidationError(field: "municipalityCode", rule: .length(expected: [5, 6], actual: 4))) {
            try MunicipalityCode("1210")
        }
        let error = #expect(throws: ValidationError.self) { try MunicipalityCode("1210021") }
        #expect(error?.message == "expected 5 or 6 digits, got 7")
        #expect(throws: ValidationError(field: "municipalityCode", rule: .nonDigit(position: 3))) {
            try MunicipalityCode("12a002")
        }
        #expect(throws: ValidationError(field: "municipalityCode", rule: .empty)) { try MunicipalityCode(" ") }
        // Separators are not part of a code's written form.
        #expect(throws: ValidationError(field: "municipalityCode", rule: .nonDigit(position: 3))) {
            try MunicipalityCode("12-100")
        }
    }

    @Test("full-width digits are accepted; prefecture code is the first two digits")
    func fullWidth() throws {
        let code = try MunicipalityCode("１２１００")
        #expect(code.rawValue == "121002")
        #expect(code.prefectureCode == "12")
        #expect("\(code)" == "121002")
    }

    @Test("Codable as a string, normalising the 5-digit form")
    func codable() throws {
        struct Body: Codable, Equatable { let issuer: MunicipalityCode }
        let body = try JSONDecoder().decode(Body.self, from: Data(#"{"issuer":"13101"}"#.utf8))
        #expect(body.issuer.rawValue == "131016")
        #expect(String(decoding: try JSONEncoder().encode(body), as: UTF8.self) == #"{"issuer":"131016"}"#)
        #expect(throws: ValidationError(field: "issuer", rule: .checkDigit(position: 6))) {
            try JSONDecoder().decode(Body.self, from: Data(#"{"issuer":"131015"}"#.utf8))
        }
    }
}
