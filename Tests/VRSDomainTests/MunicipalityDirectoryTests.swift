import Foundation
import Testing
import VRSDomain

@Suite("Municipality directory (official list, 2024-01-01)")
struct MunicipalityDirectoryTests {
    let directory = MunicipalityDirectory.official

    /// The notes shipped beside the CSV, read from the source tree (the bundle is the library's own).
    static func notes() throws -> String {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/VRSDomain/Resources/municipalities.md")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("tenant-eligible, working and Northern Territories counts")
    func counts() {
        #expect(directory.tenantEligible.count == 1747)
        #expect(directory.workingTenants.count == 1741)
        #expect(directory.northernTerritoriesVillages.count == 6)
        #expect(directory.entries.count == 1965)
    }

    @Test("counts per kind match municipalities.md")
    func countsPerKind() throws {
        let notes = try Self.notes()
        let stated: [(MunicipalityKind, String)] = [
            (.prefecture, "prefectures"), (.designatedCity, "designated cities"), (.ward, "wards"),
            (.city, "cities"), (.town, "towns"), (.village, "villages"), (.specialWard, "special wards"),
        ]
        let expected: [MunicipalityKind: Int] = [
            .prefecture: 47, .designatedCity: 20, .ward: 171, .city: 772, .town: 743, .village: 189, .specialWard: 23,
        ]
        for (kind, words) in stated {
            let count = directory.entries.count { $0.kind == kind }
            #expect(count == expected[kind], "\(kind)")
            #expect(notes.contains("\(expected[kind]!) \(words)"), "md states \(words)")
        }
    }

    @Test("the credit line is kept beside the data")
    func creditLine() throws {
        #expect(try Self.notes().contains(MunicipalityDirectory.creditLine))
    }

    @Test("the six Northern Territories villages are the ones in 根室 (not 古宇郡泊村)")
    func northernTerritories() throws {
        let names = Set(directory.northernTerritoriesVillages.compactMap { directory.entry(for: $0)?.name })
        #expect(names == ["色丹村", "泊村", "留夜別村", "留別村", "紗那村", "蘂取村"])
        #expect(directory.northernTerritoriesVillages.contains(try MunicipalityCode("016969")))
        let furuTomari = try MunicipalityCode("014036")
        #expect(directory.entry(for: furuTomari)?.name == "泊村")
        #expect(!directory.northernTerritoriesVillages.contains(furuTomari))
        #expect(directory.workingTenants.contains { $0.code == furuTomari })
    }

    @Test("every code in the CSV passes the check digit")
    func everyCodeChecks() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/VRSDomain/Resources/municipalities.csv")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(lines.count == 1965)
        for line in lines {
            let raw = String(line.prefix(6))
            #expect(throws: Never.self) { try MunicipalityCode(raw) }
        }
    }

    @Test("千葉市 121002 is a designated city in 千葉県, and 12100 normalises to it")
    func chiba() throws {
        let entry = try #require(directory.entry(for: try MunicipalityCode("12100")))
        #expect(entry.code.rawValue == "121002")
        #expect(entry.name == "千葉市")
        #expect(entry.nameKana == "チバシ")
        #expect(entry.prefecture == "千葉県")
        #expect(entry.kind == .designatedCity)
        #expect(try directory.tenant(entry.code) == entry)
    }

    @Test("a prefecture and a designated-city ward are not tenants; an unlisted code is unknown")
    func notTenants() throws {
        #expect(throws: ValidationError(field: "municipalityCode", rule: .notATenant(.prefecture))) {
            try directory.tenant(try MunicipalityCode("120006"))
        }
        let error = #expect(throws: ValidationError.self) { try directory.tenant(try MunicipalityCode("011011")) }
        #expect(error?.rule == .notATenant(.ward))
        #expect(error?.message == "a ward of a designated city cannot be a tenant")
        #expect(throws: ValidationError(field: "municipalityCode", rule: .unknownMunicipality)) {
            try directory.tenant(try MunicipalityCode("99999"))
        }
    }

    @Test("a malformed CSV row is reported with its line")
    func malformedCSV() {
        let csv = "code,prefecture,name,name_kana,kind\n121002,千葉県,千葉市,チバシ,designated_city\n121003,千葉県,x,x,city\n"
        #expect(throws: ValidationError(field: "municipalities.csv line 3", rule: .checkDigit(position: 6))) {
            try MunicipalityDirectory(csv: csv)
        }
    }
}
