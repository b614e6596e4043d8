import Testing
import VRSDomain

/// Random valid values from a fixed seed, so a failure names a reproducible case.
///
/// Both check digits fold eleven remainders onto ten digits, so exactly one pair of remainders
/// shares a check digit: {0, 1} for the Individual Number (both give 0) and {0, 10} for the
/// municipality code (both give 1). A single-digit change that moves the remainder between the two
/// members of that pair is NOT detected (about 1.8% of single-digit substitutions in digits 1–11 or
/// 1–5); every other single-digit change is. These tests assert exactly that.
@Suite("Check digits: properties over random values")
struct CheckDigitPropertyTests {
    static func remainder(_ digits: [UInt8], weights: [Int]) -> Int {
        zip(digits, weights).reduce(0) { $0 + Int($1.0) * $1.1 } % 11
    }

    static let individualWeights = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    static let municipalityWeights = [6, 5, 4, 3, 2]

    @Test("11 random digits plus the computed check digit are valid; single-digit changes are caught unless r moves between 0 and 1")
    func individualNumberSubstitutions() throws {
        var random = SplitMix64(seed: 0x5EED_0001)
        var undetected = 0
        for _ in 0..<3000 {
            let base = (0..<11).map { _ in UInt8.random(in: 0...9, using: &random) }
            let digits = base + [IndividualNumber.checkDigit(for: base)]
            let text = String(digits.map { Character(String($0)) })
            #expect(try IndividualNumber(text).revealDigits() == text)
            let original = Self.remainder(base, weights: Self.individualWeights)
            for position in 0..<12 {
                for replacement in UInt8(0)...9 where replacement != digits[position] {
                    var changed = digits
                    changed[position] = replacement
                    let accepted = (try? IndividualNumber(String(changed.map { Character(String($0)) }))) != nil
                    if position == 11 {
                        #expect(!accepted, "check digit change must always be caught: \(text)")
                    } else {
                        let moved = Self.remainder(Array(changed.prefix(11)), weights: Self.individualWeights)
                        #expect(accepted == (Set([original, moved]) == [0, 1]), "\(text) position \(position + 1)")
                        if accepted { undetected += 1 }
                    }
                }
            }
        }
        #expect(undetected > 0, "the {0, 1} blind spot exists and these cases should have met it")
    }

    @Test("a concrete blind spot: 123456789000 and 123456789050 are both valid")
    func individualNumberBlindSpot() throws {
        #expect(try IndividualNumber("123456789000") != IndividualNumber("123456789050"))
    }

    @Test("5-digit municipality codes round-trip to their 6-digit form; changes are caught unless r moves between 0 and 10")
    func municipalityCodes() throws {
        var random = SplitMix64(seed: 0x5EED_0002)
        for _ in 0..<3000 {
            let base = (0..<5).map { _ in UInt8.random(in: 0...9, using: &random) }
            let short = String(base.map { Character(String($0)) })
            let code = try MunicipalityCode(short)
            #expect(code.rawValue.count == 6 && code.rawValue.hasPrefix(short))
            #expect(try MunicipalityCode(code.rawValue) == code)
            let digits = base + [MunicipalityCode.checkDigit(for: base)]
            let original = Self.remainder(base, weights: Self.municipalityWeights)
            for position in 0..<6 {
                for replacement in UInt8(0)...9 where replacement != digits[position] {
                    var changed = digits
                    changed[position] = replacement
                    let accepted = (try? MunicipalityCode(String(changed.map { Character(String($0)) }))) != nil
                    if position == 5 {
                        #expect(!accepted)
                    } else {
                        let moved = Self.remainder(Array(changed.prefix(5)), weights: Self.municipalityWeights)
                        #expect(accepted == (Set([original, moved]) == [0, 10]), "\(code) position \(position + 1)")
                    }
                }
            }
        }
    }

    @Test("a concrete blind spot in the official list: 苫小牧市 012131 and 赤平市 012181 differ in one digit")
    func municipalityBlindSpot() throws {
        let directory = MunicipalityDirectory.official
        #expect(directory.entry(for: try MunicipalityCode("012131"))?.name == "苫小牧市")
        #expect(directory.entry(for: try MunicipalityCode("012181"))?.name == "赤平市")
    }
}
