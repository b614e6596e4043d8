import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VRSDomain
import VRSServer
import VRSStore
import VRSTestSupport

/// The ledger export in the VRS 予防接種台帳向け shape (one row per person, a group per dose, copies
/// under their origin), `?since=`, and the pending list.
@Suite("Ledger and pending-list exports")
struct LedgerExportTests {
    func rows(_ response: TestResponse) -> [[String]] {
        response.text.replacingOccurrences(of: "\u{FEFF}", with: "").split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func onePersonPerRowWithADoseGroupPerDoseAndTheirOrigin() async throws {
        try await TransferTests().withTowns { towns in
            let app = towns.app
            _ = try await towns.ask(1, onto: try await towns.personA(1))
            #expect(try await towns.site.send(TabletVaccinationTests.code(3), on: "2024-09-01").result == "recorded")
            let response = try await app.call(.get, "/v1/exports/ledger", token: towns.staffA)
            #expect(response.status == .ok)
            let table = rows(response)
            #expect(table.first?.prefix(9) == ["宛名番号", "登録日時1", "接種日1", "券番号1", "接種自治体コード1", "接種会場名1", "接種医師名1",
                                               "ワクチンメーカー1", "ロット番号1"])
            #expect(table.first?.count == 1 + 2 * 8, "as many groups as the most doses anyone has")
            #expect(table.count == 1 + 5, "every current registration, with doses or not")
            let one = try #require(table.first { $0.first == "A-00001" })
            #expect(one.count == 17)
            #expect(one[2] == "20240601" && one[3] == "0000000001" && one[4] == TransferTests.b, "the copy names where it was given")
            #expect(one[1].count == 14 && one[1].allSatisfy(\.isNumber), "登録日時 is YYYYMMDDHHMMSS")
            #expect(one[7] == "ファイザー" && one[8] == "FA1234")
            let three = try #require(table.first { $0.first == "A-00003" })
            #expect(three[2] == "20240901" && three[4] == "131016")
            let two = try #require(table.first { $0.first == "A-00002" })
            #expect(two.count == 17 && two.dropFirst().allSatisfy(\.isEmpty), "a person without doses gets an empty row as wide as the header")
            #expect(three.count == 17)

            try await Task.sleep(for: .seconds(1.1))
            let since = Date().ISO8601Format()
            #expect(try await towns.site.send(TabletVaccinationTests.code(4), on: "2024-09-02").result == "recorded")
            let changed = rows(try await app.call(.get, "/v1/exports/ledger?since=\(since)", token: towns.staffA))
            #expect(changed.dropFirst().map { $0.first } == ["A-00004"], "only the person changed since")
            let bad = try await app.call(.get, "/v1/exports/ledger?layout=wide", token: towns.staffA)
            #expect(bad.status == .unprocessableContent)
            #expect(!response.text.contains(RegistrationFile.individualNumber(1)))
        }
    }

    @Test func thePendingListIsADownloadToo() async throws {
        try await TransferTests().withTowns { towns in
            let app = towns.app
            #expect(try await towns.site.send(TabletVaccinationTests.code(77), on: "2024-09-03").result == "pending_registration")
            let response = try await app.call(.get, "/v1/exports/pending?charset=shift_jis", token: towns.staffA)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.contains("Shift_JIS") == true)
            let bytes = Array(response.body.readableBytesView)
            #expect(bytes.starts(with: RegistrationFile.cp932("券番号,接種回数,接種日")))
            #expect(bytes.firstRange(of: Array("0000000077,1,2024-09-03".utf8)) != nil)
            #expect(try await app.auditActions(in: TestApp.a).contains("pending.export"))
        }
    }
}
