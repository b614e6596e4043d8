import Foundation
import Testing
import VRSDomain

@Suite("Small enums: raw values are part of the API and the database")
struct ValueEnumTests {
    @Test("raw values")
    func rawValues() {
        #expect(Sex.allCases.map(\.rawValue) == ["M", "F", "U"])
        #expect(PersonStatus.allCases.map(\.rawValue) == ["active", "moved_out", "deceased"])
        #expect(VaccinationSource.allCases.map(\.rawValue) == ["tablet", "staff", "import", "transfer"])
        #expect(MunicipalityKind.allCases.map(\.rawValue)
            == ["prefecture", "designated_city", "ward", "city", "town", "village", "special_ward"])
    }

    @Test("which kinds can be tenants")
    func tenantKinds() {
        #expect(MunicipalityKind.allCases.filter(\.canBeTenant)
            == [.designatedCity, .city, .town, .village, .specialWard])
    }

    @Test("Codable with the raw values")
    func codable() throws {
        struct Body: Codable { let sex: Sex; let status: PersonStatus; let source: VaccinationSource }
        let json = #"{"sex":"F","source":"import","status":"moved_out"}"#
        let body = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
        #expect(body.sex == .female && body.status == .movedOut && body.source == .import)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(body), as: UTF8.self) == json)
    }
}
