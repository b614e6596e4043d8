import Foundation
import Testing
import VRSDomain
import VRSStore
import VRSTestSupport

/// A backup of the database is as safe to lose as the database: no Individual Number in the clear.
@Suite("pg_dump holds no plaintext Individual Number")
struct DumpTests {
    @Test func aFullDumpContainsNoneOfTheSeededNumbersInAnyForm() async throws {
        try await withTestStore { store in
            try await store.provision(Town.a, Town.b)
            let population = SyntheticPopulation(seed: 2026)
            let count = 3000
            for town in [Town.a, Town.b] {
                _ = try await PopulationSeeder(keyRing: store.keyRing, logger: store.logger)
                    .seed(population, count: count, into: town, database: store.database, batchSize: 1000)
            }
            let dump = try runTool(["pg_dump", "--no-password", store.testDatabase.adminURL.connectionString])
            try #require(dump.status == 0, "pg_dump failed: \(dump.output.prefix(500))")
            // The dump must really hold the people (names are stored in the clear by design).
            #expect(dump.output.contains("サトウ") || dump.output.contains("スズキ") || dump.output.contains("タカハシ"))
            #expect(dump.output.components(separatedBy: "\n").count > 2 * count)

            let numbers = Set((0..<count).map { population.person(at: $0).individualNumber.revealDigits() })
            let found = Self.twelveDigitCandidates(in: dump.output)
            #expect(found.count > 0, "the scanner found no 12-digit run at all; is it scanning?")
            let leaks = numbers.intersection(found)
            #expect(leaks.isEmpty, "\(leaks.count) Individual Numbers found in the dump")
        }
    }

    @Test func theScannerFindsNumbersInEveryForm() {
        // The scanner must be able to fail: each form of a number planted in text is found.
        let digits = "123456789018"
        let hex = digits.utf8.map { String(format: "%02x", $0) }.joined()
        for form in ["a\t\(digits)\tb", "x 1234-5678-9018 y", "x 1234 5678 9018 y", "\\\\x01\(hex)ff", "１２３４５６７８９０１８"] {
            #expect(Self.twelveDigitCandidates(in: form).contains(digits), "missed \(form)")
        }
    }

    /// Every 12-digit string that appears in `text` as plain digits, with '-' or ' ' separators,
    /// in full-width digits, or as the hex of its ASCII bytes (how bytea prints).
    static func twelveDigitCandidates(in text: String) -> Set<String> {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            if byte == 0xEF, input.count >= 2, input[input.startIndex] == 0xBC, (0x90...0x99).contains(input[input.startIndex + 1]) {
                bytes.append(input[input.startIndex + 1] - 0x90 + 0x30)  // full-width digit
                input = input.dropFirst(2)
            } else if byte != UInt8(ascii: "-") && byte != UInt8(ascii: " ") {
                bytes.append(byte)
            }
        }
        func isDigit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) }
        func isHex(_ b: UInt8) -> Bool { isDigit(b) || (0x61...0x66).contains(b) }
        var found = Set<String>()
        var i = 0
        while i < bytes.count {
            guard isHex(bytes[i]) else { i += 1; continue }
            var j = i
            while j < bytes.count && isHex(bytes[j]) { j += 1 }
            let run = bytes[i..<j]
            // Plain digits: every 12-digit window of every all-digit stretch.
            var k = run.startIndex
            while k < run.endIndex {
                guard isDigit(run[k]) else { k += 1; continue }
                var e = k
                while e < run.endIndex && isDigit(run[e]) { e += 1 }
                if e - k >= 12 { for w in k...(e - 12) { found.insert(String(decoding: run[w..<w + 12], as: UTF8.self)) } }
                k = e
            }
            // Hex of ASCII digits: "3d" twelve times.
            if run.count >= 24 {
                for w in run.startIndex...(run.endIndex - 24) {
                    let window = run[w..<w + 24]
                    if stride(from: w, to: w + 24, by: 2).allSatisfy({ run[$0] == 0x33 && isDigit(run[$0 + 1]) }) {
                        found.insert(String(decoding: stride(from: window.startIndex + 1, to: window.endIndex, by: 2).map { run[$0] }, as: UTF8.self))
                    }
                }
            }
            i = j
        }
        return found
    }

}
