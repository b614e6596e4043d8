import Foundation
import Testing
import VRSDomain

@Suite("Coupon OCR line and coupon number")
struct CouponCodeTests {
    // 券種 1, dose 3, 千葉市 121002, 券番号 0000012345.
    let line = "131210020000012345"

    @Test("a valid 18-digit line parses into its parts")
    func parts() throws {
        let code = try CouponCode(line)
        #expect(code.kind == (try CouponKind(1)))
        #expect(code.dose == 3)
        #expect(code.municipality.rawValue == "121002")
        #expect(code.number.rawValue == "0000012345")
        #expect(code.rawValue == line)
        let rebuilt = try CouponCode(kind: code.kind, dose: 3, municipality: code.municipality, number: code.number)
        #expect(rebuilt == code)
    }

    @Test("full-width digits and surrounding whitespace are accepted")
    func normalisation() throws {
        let fullWidth = String(String.UnicodeScalarView(line.unicodeScalars.map { Unicode.Scalar($0.value + 0xFEE0)! }))
        #expect(fullWidth.unicodeScalars.first == "１")
        #expect(try CouponCode(" \(fullWidth)\n") == CouponCode(line))
    }

    @Test("an OCR misread in the municipality part (1 read as 4) is rejected naming positions 3–8")
    func misread() {
        let misread = "134210020000012345"  // position 3: 121002 read as 421002
        let error = #expect(throws: ValidationError.self) { try CouponCode(misread) }
        #expect(error?.field == "couponCode")
        #expect(error?.rule == .checkDigit(position: 8))
        #expect(error?.segment?.positions == 3...8)
        #expect(error?.message == "municipality code (positions 3–8): check digit does not match (position 8)")
    }

    @Test("dose 0 and a disallowed kind are rejected at their positions")
    func doseAndKind() throws {
        #expect(throws: ValidationError(field: "couponCode", rule: .outOfRange(position: 2, allowed: 1...9))) {
            try CouponCode("101210020000012345")
        }
        let allowed: Set<CouponKind> = [try CouponKind(1), try CouponKind(2)]
        #expect(try CouponCode(line, allowedKinds: allowed).kind.digit == 1)
        #expect(throws: ValidationError(field: "couponCode", rule: .notAllowed(position: 1))) {
            try CouponCode("731210020000012345", allowedKinds: allowed)
        }
        #expect(throws: ValidationError(field: "couponKind", rule: .outOfRange(position: 1, allowed: 0...9))) {
            try CouponKind(10)
        }
    }

    @Test("17 and 19 digits are rejected with the lengths")
    func lengths() {
        #expect(throws: ValidationError(field: "couponCode", rule: .length(expected: [18], actual: 17))) {
            try CouponCode(String(line.dropLast()))
        }
        let error = #expect(throws: ValidationError.self) { try CouponCode(line + "9") }
        #expect(error?.rule == .length(expected: [18], actual: 19))
        #expect(error?.message == "expected 18 digits, got 19")
    }

    @Test("any other character is reported at its position in the line")
    func nonDigit() {
        #expect(throws: ValidationError(field: "couponCode", rule: .nonDigit(position: 9))) {
            try CouponCode("13121002-000012345")
        }
        #expect(throws: ValidationError(field: "couponCode", rule: .empty)) { try CouponCode("") }
    }

    @Test("coupon numbers have exactly 10 digits and are Codable as strings")
    func couponNumber() throws {
        #expect(try CouponNumber("０１２３４５６７８９").rawValue == "0123456789")
        #expect(throws: ValidationError(field: "couponNumber", rule: .length(expected: [10], actual: 9))) {
            try CouponNumber("012345678")
        }
        struct Body: Codable { let couponNumber: CouponNumber; let couponCode: CouponCode }
        let json = #"{"couponCode":"131210020000012345","couponNumber":"0123456789"}"#
        let body = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
        #expect(body.couponNumber.rawValue == "0123456789")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(body), as: UTF8.self) == json)
    }
}
